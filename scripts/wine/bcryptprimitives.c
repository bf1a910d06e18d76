/* ProcessPrng for Wine 8.0, which lacks bcryptprimitives.dll: Rust's standard library
 * (1.78 and later) takes its randomness from there and will not start without it. This
 * stand-in, used only by scripts/platforms inside its own Wine prefix, draws from advapi32's
 * RtlGenRandom (SystemFunction036), the generator Wine does implement. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}

/* Says whether the console on stdout interprets colour codes: the Windows suite
 * (tests/windows_wine.rs) runs it before and after idm-auth.exe in one Wine console, to see
 * that idm-auth turned ENABLE_VIRTUAL_TERMINAL_PROCESSING on (a console's modes outlast the
 * program that set them). Prints one line, written at once (a console that Wine draws on a
 * Unix terminal redraws every separate write):
 *   console-mode: vt-on | vt-off | not-a-console */
#include <windows.h>
#include <string.h>

#ifndef ENABLE_VIRTUAL_TERMINAL_PROCESSING
#define ENABLE_VIRTUAL_TERMINAL_PROCESSING 0x0004
#endif

int main(void)
{
    HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
    DWORD mode = 0, written;
    const char *line = "console-mode: not-a-console\n";
    if (GetConsoleMode(out, &mode))
        line = (mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING) ? "console-mode: vt-on\n"
                                                           : "console-mode: vt-off\n";
    return WriteFile(out, line, (DWORD)strlen(line), &written, NULL) ? 0 : 1;
}

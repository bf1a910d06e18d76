
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'idm-auth' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'idm-auth'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'idm-auth' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('authorize', 'authorize', [CompletionResultType]::ParameterValue, 'Opt a UPS.com user in: open the UPS consent page, catch the redirect, keep the tokens')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Show the opt-ins on this machine, newest first')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show the opt-in that `token` would use (or ID): its user, UPS, store and lifetimes')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a valid access token (and nothing else) on stdout, refreshing it when needed')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with a valid access token in its environment (UPS_ACCESS_TOKEN, UPS_API_BASE)')
            [CompletionResult]::new('api', 'api', [CompletionResultType]::ParameterValue, 'Call a UPS API with an opt-in''s token (UPS''s headers, its errors explained, 401/429 handled)')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check that every opt-in is usable and none needs renewing soon (for cron and monitoring)')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Dissolve opt-ins: delete their tokens from the store and their rows from the index')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Keep settings in profiles of the config file, and a profile''s client secret in the store (the OS keyring, the file store or Vault; never in the file)')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Run the whole opt-in against the built-in UPS simulator and show the grid')
            [CompletionResult]::new('simulator', 'simulator', [CompletionResultType]::ParameterValue, 'Serve a UPS OAuth simulator on 127.0.0.1 (true to UPS''s published API) for trials and tests')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions for SHELL on stdout')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'idm-auth;authorize' {
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'A name for this opt-in, shown by `list` (e.g. the UPS.com user''s name)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The UPS environment to opt in to (also IDM_AUTH_ENV)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The UPS origin, e.g. https://wwwcie.ups.com; overrides --env''s host. Plain http is accepted only for loopback hosts (the simulator). Also IDM_AUTH_BASE_URL')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'The app''s client id at UPS (also IDM_AUTH_CLIENT_ID)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'The loopback port of the redirect URI (must match the callback URL registered at UPS)')
            [CompletionResult]::new('--redirect-uri', '--redirect-uri', [CompletionResultType]::ParameterName, 'The full redirect URI registered at UPS, e.g. http://127.0.0.1:8765/callback')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the consent to complete')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('--client-secret-stdin', '--client-secret-stdin', [CompletionResultType]::ParameterName, 'Read the client secret from the first line of stdin (otherwise IDM_AUTH_CLIENT_SECRET, then the profile''s secret in the keyring; without any, the PKCE public-client form)')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Do not open a browser: print the address, and accept the address the browser ended on pasted on stdin (for SSH sessions)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the new opt-in as JSON (the `list --json` object) instead of its id')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idm-auth;list' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'A JSON array for scripts (schema in docs/reference.md). Never contains a secret')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idm-auth;status' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'As JSON: the `list --json` object of that opt-in')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idm-auth;token' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'The token with its expiry as JSON (for programs that cache it until then)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idm-auth;exec' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idm-auth;api' {
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'The HTTP method (default GET, or POST when fields or --input are given)')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'The HTTP method (default GET, or POST when fields or --input are given)')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a request header, `Name: value` (repeatable); replaces one of idm-auth''s own')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a request header, `Name: value` (repeatable); replaces one of idm-auth''s own')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'A string field of the JSON body (a query parameter for GET); `key[sub]=v` nests')
            [CompletionResult]::new('--raw-field', '--raw-field', [CompletionResultType]::ParameterName, 'A string field of the JSON body (a query parameter for GET); `key[sub]=v` nests')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'A typed field: numbers, true, false and null as JSON; `@FILE` (or `@-`) the file''s text')
            [CompletionResult]::new('--field', '--field', [CompletionResultType]::ParameterName, 'A typed field: numbers, true, false and null as JSON; `@FILE` (or `@-`) the file''s text')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'The request body from FILE, or `-` for stdin, sent as it is')
            [CompletionResult]::new('--jq', '--jq', [CompletionResultType]::ParameterName, 'Filter the JSON answer through a jq expression (no jq needed); strings print raw')
            [CompletionResult]::new('--transaction-src', '--transaction-src', [CompletionResultType]::ParameterName, 'The `transactionSrc` header naming the calling application (default `idm-auth`; also IDM_AUTH_TRANSACTION_SRC, or `transaction_src` in the profile)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Print the status line and the response headers before the body')
            [CompletionResult]::new('--include', '--include', [CompletionResultType]::ParameterName, 'Print the status line and the response headers before the body')
            [CompletionResult]::new('--silent', '--silent', [CompletionResultType]::ParameterName, 'Print no response body')
            [CompletionResult]::new('--no-retry', '--no-retry', [CompletionResultType]::ParameterName, 'Do not wait and retry after a 429 or 503 (otherwise up to 30 s in all, as UPS''s Retry-After asks)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idm-auth;check' {
            [CompletionResult]::new('--within', '--within', [CompletionResultType]::ParameterName, 'Warn when a refresh token (the opt-in itself) expires within this many days')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'The details as JSON on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idm-auth;clear' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Clear every opt-in on this machine (of the --profile, when one is given)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print what was removed as JSON')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idm-auth;config' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the resolved settings and where each value came from (secrets as set/unset)')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Make a profile (--profile NAME, else `default`) from flags, or by asking on a terminal')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set one key of the profile (--profile NAME, else the default profile; made if missing)')
            [CompletionResult]::new('unset', 'unset', [CompletionResultType]::ParameterValue, 'Remove one key from the profile (--profile NAME, else the default profile)')
            [CompletionResult]::new('set-secret', 'set-secret', [CompletionResultType]::ParameterValue, 'Keep the profile''s client secret in the store: the OS keyring by default, the sealed files with --store file, Vault with --store vault (read from stdin or a hidden prompt)')
            [CompletionResult]::new('delete-secret', 'delete-secret', [CompletionResultType]::ParameterValue, 'Delete the profile''s client secret from the store (new opt-ins are then made without one)')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of the config file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'idm-auth;config;show' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'As JSON')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idm-auth;config;init' {
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'A name for this opt-in, shown by `list` (e.g. the UPS.com user''s name)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The UPS environment to opt in to (also IDM_AUTH_ENV)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The UPS origin, e.g. https://wwwcie.ups.com; overrides --env''s host. Plain http is accepted only for loopback hosts (the simulator). Also IDM_AUTH_BASE_URL')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'The app''s client id at UPS (also IDM_AUTH_CLIENT_ID)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'The loopback port of the redirect URI (must match the callback URL registered at UPS)')
            [CompletionResult]::new('--redirect-uri', '--redirect-uri', [CompletionResultType]::ParameterName, 'The full redirect URI registered at UPS, e.g. http://127.0.0.1:8765/callback')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('--client-secret-stdin', '--client-secret-stdin', [CompletionResultType]::ParameterName, 'Read the client secret from the first line of stdin (otherwise IDM_AUTH_CLIENT_SECRET, then the profile''s secret in the keyring; without any, the PKCE public-client form)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idm-auth;config;set' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idm-auth;config;unset' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idm-auth;config;set-secret' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idm-auth;config;delete-secret' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idm-auth;config;path' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idm-auth;config;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the resolved settings and where each value came from (secrets as set/unset)')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Make a profile (--profile NAME, else `default`) from flags, or by asking on a terminal')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set one key of the profile (--profile NAME, else the default profile; made if missing)')
            [CompletionResult]::new('unset', 'unset', [CompletionResultType]::ParameterValue, 'Remove one key from the profile (--profile NAME, else the default profile)')
            [CompletionResult]::new('set-secret', 'set-secret', [CompletionResultType]::ParameterValue, 'Keep the profile''s client secret in the store: the OS keyring by default, the sealed files with --store file, Vault with --store vault (read from stdin or a hidden prompt)')
            [CompletionResult]::new('delete-secret', 'delete-secret', [CompletionResultType]::ParameterValue, 'Delete the profile''s client secret from the store (new opt-ins are then made without one)')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of the config file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'idm-auth;config;help;show' {
            break
        }
        'idm-auth;config;help;init' {
            break
        }
        'idm-auth;config;help;set' {
            break
        }
        'idm-auth;config;help;unset' {
            break
        }
        'idm-auth;config;help;set-secret' {
            break
        }
        'idm-auth;config;help;delete-secret' {
            break
        }
        'idm-auth;config;help;path' {
            break
        }
        'idm-auth;config;help;help' {
            break
        }
        'idm-auth;demo' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Never open a browser: approve the simulated consent automatically')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idm-auth;simulator' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port on 127.0.0.1 (0 picks a free one). The base URL is printed on stdout')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'The client id the simulator accepts. A client secret, if any, is read from IDM_AUTH_CLIENT_SECRET (never from the command line)')
            [CompletionResult]::new('--redirect-uri', '--redirect-uri', [CompletionResultType]::ParameterName, 'The one callback URL to accept (UPS checks it exactly); default: any loopback URL')
            [CompletionResult]::new('--access-ttl', '--access-ttl', [CompletionResultType]::ParameterName, 'Lifetime of access tokens, in seconds')
            [CompletionResult]::new('--refresh-ttl', '--refresh-ttl', [CompletionResultType]::ParameterName, 'Lifetime of refresh tokens, in seconds')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idm-auth;completions' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use this profile from the config file (also IDM_AUTH_PROFILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idm-auth;help' {
            [CompletionResult]::new('authorize', 'authorize', [CompletionResultType]::ParameterValue, 'Opt a UPS.com user in: open the UPS consent page, catch the redirect, keep the tokens')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Show the opt-ins on this machine, newest first')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show the opt-in that `token` would use (or ID): its user, UPS, store and lifetimes')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a valid access token (and nothing else) on stdout, refreshing it when needed')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with a valid access token in its environment (UPS_ACCESS_TOKEN, UPS_API_BASE)')
            [CompletionResult]::new('api', 'api', [CompletionResultType]::ParameterValue, 'Call a UPS API with an opt-in''s token (UPS''s headers, its errors explained, 401/429 handled)')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check that every opt-in is usable and none needs renewing soon (for cron and monitoring)')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Dissolve opt-ins: delete their tokens from the store and their rows from the index')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Keep settings in profiles of the config file, and a profile''s client secret in the store (the OS keyring, the file store or Vault; never in the file)')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Run the whole opt-in against the built-in UPS simulator and show the grid')
            [CompletionResult]::new('simulator', 'simulator', [CompletionResultType]::ParameterValue, 'Serve a UPS OAuth simulator on 127.0.0.1 (true to UPS''s published API) for trials and tests')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions for SHELL on stdout')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'idm-auth;help;authorize' {
            break
        }
        'idm-auth;help;list' {
            break
        }
        'idm-auth;help;status' {
            break
        }
        'idm-auth;help;token' {
            break
        }
        'idm-auth;help;exec' {
            break
        }
        'idm-auth;help;api' {
            break
        }
        'idm-auth;help;check' {
            break
        }
        'idm-auth;help;clear' {
            break
        }
        'idm-auth;help;config' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the resolved settings and where each value came from (secrets as set/unset)')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Make a profile (--profile NAME, else `default`) from flags, or by asking on a terminal')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set one key of the profile (--profile NAME, else the default profile; made if missing)')
            [CompletionResult]::new('unset', 'unset', [CompletionResultType]::ParameterValue, 'Remove one key from the profile (--profile NAME, else the default profile)')
            [CompletionResult]::new('set-secret', 'set-secret', [CompletionResultType]::ParameterValue, 'Keep the profile''s client secret in the store: the OS keyring by default, the sealed files with --store file, Vault with --store vault (read from stdin or a hidden prompt)')
            [CompletionResult]::new('delete-secret', 'delete-secret', [CompletionResultType]::ParameterValue, 'Delete the profile''s client secret from the store (new opt-ins are then made without one)')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of the config file')
            break
        }
        'idm-auth;help;config;show' {
            break
        }
        'idm-auth;help;config;init' {
            break
        }
        'idm-auth;help;config;set' {
            break
        }
        'idm-auth;help;config;unset' {
            break
        }
        'idm-auth;help;config;set-secret' {
            break
        }
        'idm-auth;help;config;delete-secret' {
            break
        }
        'idm-auth;help;config;path' {
            break
        }
        'idm-auth;help;demo' {
            break
        }
        'idm-auth;help;simulator' {
            break
        }
        'idm-auth;help;completions' {
            break
        }
        'idm-auth;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

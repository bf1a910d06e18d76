
use builtin;
use str;

set edit:completion:arg-completer[idm-auth] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'idm-auth'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'idm-auth'= {
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand authorize 'Opt a UPS.com user in: open the UPS consent page, catch the redirect, keep the tokens'
            cand list 'Show the opt-ins on this machine, newest first'
            cand status 'Show the opt-in that `token` would use (or ID): its user, UPS, store and lifetimes'
            cand token 'Print a valid access token (and nothing else) on stdout, refreshing it when needed'
            cand exec 'Run a command with a valid access token in its environment (UPS_ACCESS_TOKEN, UPS_API_BASE)'
            cand api 'Call a UPS API with an opt-in''s token (UPS''s headers, its errors explained, 401/429 handled)'
            cand check 'Check that every opt-in is usable and none needs renewing soon (for cron and monitoring)'
            cand clear 'Dissolve opt-ins: delete their tokens from the store and their rows from the index'
            cand config 'Keep settings in profiles of the config file, and a profile''s client secret in the store (the OS keyring, the file store or Vault; never in the file)'
            cand demo 'Run the whole opt-in against the built-in UPS simulator and show the grid'
            cand simulator 'Serve a UPS OAuth simulator on 127.0.0.1 (true to UPS''s published API) for trials and tests'
            cand completions 'Print shell completions for SHELL on stdout'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'idm-auth;authorize'= {
            cand --label 'A name for this opt-in, shown by `list` (e.g. the UPS.com user''s name)'
            cand --env 'The UPS environment to opt in to (also IDM_AUTH_ENV)'
            cand --base-url 'The UPS origin, e.g. https://wwwcie.ups.com; overrides --env''s host. Plain http is accepted only for loopback hosts (the simulator). Also IDM_AUTH_BASE_URL'
            cand --client-id 'The app''s client id at UPS (also IDM_AUTH_CLIENT_ID)'
            cand --port 'The loopback port of the redirect URI (must match the callback URL registered at UPS)'
            cand --redirect-uri 'The full redirect URI registered at UPS, e.g. http://127.0.0.1:8765/callback'
            cand --timeout 'Seconds to wait for the consent to complete'
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand --client-secret-stdin 'Read the client secret from the first line of stdin (otherwise IDM_AUTH_CLIENT_SECRET, then the profile''s secret in the keyring; without any, the PKCE public-client form)'
            cand --no-browser 'Do not open a browser: print the address, and accept the address the browser ended on pasted on stdin (for SSH sessions)'
            cand --json 'Print the new opt-in as JSON (the `list --json` object) instead of its id'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idm-auth;list'= {
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand --json 'A JSON array for scripts (schema in docs/reference.md). Never contains a secret'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idm-auth;status'= {
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand --json 'As JSON: the `list --json` object of that opt-in'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idm-auth;token'= {
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand --json 'The token with its expiry as JSON (for programs that cache it until then)'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idm-auth;exec'= {
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idm-auth;api'= {
            cand -X 'The HTTP method (default GET, or POST when fields or --input are given)'
            cand --method 'The HTTP method (default GET, or POST when fields or --input are given)'
            cand -H 'Add a request header, `Name: value` (repeatable); replaces one of idm-auth''s own'
            cand --header 'Add a request header, `Name: value` (repeatable); replaces one of idm-auth''s own'
            cand -f 'A string field of the JSON body (a query parameter for GET); `key[sub]=v` nests'
            cand --raw-field 'A string field of the JSON body (a query parameter for GET); `key[sub]=v` nests'
            cand -F 'A typed field: numbers, true, false and null as JSON; `@FILE` (or `@-`) the file''s text'
            cand --field 'A typed field: numbers, true, false and null as JSON; `@FILE` (or `@-`) the file''s text'
            cand --input 'The request body from FILE, or `-` for stdin, sent as it is'
            cand --jq 'Filter the JSON answer through a jq expression (no jq needed); strings print raw'
            cand --transaction-src 'The `transactionSrc` header naming the calling application (default `idm-auth`; also IDM_AUTH_TRANSACTION_SRC, or `transaction_src` in the profile)'
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand -i 'Print the status line and the response headers before the body'
            cand --include 'Print the status line and the response headers before the body'
            cand --silent 'Print no response body'
            cand --no-retry 'Do not wait and retry after a 429 or 503 (otherwise up to 30 s in all, as UPS''s Retry-After asks)'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idm-auth;check'= {
            cand --within 'Warn when a refresh token (the opt-in itself) expires within this many days'
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand --json 'The details as JSON on stdout'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idm-auth;clear'= {
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand --all 'Clear every opt-in on this machine (of the --profile, when one is given)'
            cand -y 'Do not ask for confirmation'
            cand --yes 'Do not ask for confirmation'
            cand --json 'Print what was removed as JSON'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idm-auth;config'= {
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand show 'Print the resolved settings and where each value came from (secrets as set/unset)'
            cand init 'Make a profile (--profile NAME, else `default`) from flags, or by asking on a terminal'
            cand set 'Set one key of the profile (--profile NAME, else the default profile; made if missing)'
            cand unset 'Remove one key from the profile (--profile NAME, else the default profile)'
            cand set-secret 'Keep the profile''s client secret in the store: the OS keyring by default, the sealed files with --store file, Vault with --store vault (read from stdin or a hidden prompt)'
            cand delete-secret 'Delete the profile''s client secret from the store (new opt-ins are then made without one)'
            cand path 'Print the path of the config file'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'idm-auth;config;show'= {
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand --json 'As JSON'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idm-auth;config;init'= {
            cand --label 'A name for this opt-in, shown by `list` (e.g. the UPS.com user''s name)'
            cand --env 'The UPS environment to opt in to (also IDM_AUTH_ENV)'
            cand --base-url 'The UPS origin, e.g. https://wwwcie.ups.com; overrides --env''s host. Plain http is accepted only for loopback hosts (the simulator). Also IDM_AUTH_BASE_URL'
            cand --client-id 'The app''s client id at UPS (also IDM_AUTH_CLIENT_ID)'
            cand --port 'The loopback port of the redirect URI (must match the callback URL registered at UPS)'
            cand --redirect-uri 'The full redirect URI registered at UPS, e.g. http://127.0.0.1:8765/callback'
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand --client-secret-stdin 'Read the client secret from the first line of stdin (otherwise IDM_AUTH_CLIENT_SECRET, then the profile''s secret in the keyring; without any, the PKCE public-client form)'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idm-auth;config;set'= {
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idm-auth;config;unset'= {
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idm-auth;config;set-secret'= {
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idm-auth;config;delete-secret'= {
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idm-auth;config;path'= {
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idm-auth;config;help'= {
            cand show 'Print the resolved settings and where each value came from (secrets as set/unset)'
            cand init 'Make a profile (--profile NAME, else `default`) from flags, or by asking on a terminal'
            cand set 'Set one key of the profile (--profile NAME, else the default profile; made if missing)'
            cand unset 'Remove one key from the profile (--profile NAME, else the default profile)'
            cand set-secret 'Keep the profile''s client secret in the store: the OS keyring by default, the sealed files with --store file, Vault with --store vault (read from stdin or a hidden prompt)'
            cand delete-secret 'Delete the profile''s client secret from the store (new opt-ins are then made without one)'
            cand path 'Print the path of the config file'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'idm-auth;config;help;show'= {
        }
        &'idm-auth;config;help;init'= {
        }
        &'idm-auth;config;help;set'= {
        }
        &'idm-auth;config;help;unset'= {
        }
        &'idm-auth;config;help;set-secret'= {
        }
        &'idm-auth;config;help;delete-secret'= {
        }
        &'idm-auth;config;help;path'= {
        }
        &'idm-auth;config;help;help'= {
        }
        &'idm-auth;demo'= {
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand --no-browser 'Never open a browser: approve the simulated consent automatically'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idm-auth;simulator'= {
            cand --port 'Port on 127.0.0.1 (0 picks a free one). The base URL is printed on stdout'
            cand --client-id 'The client id the simulator accepts. A client secret, if any, is read from IDM_AUTH_CLIENT_SECRET (never from the command line)'
            cand --redirect-uri 'The one callback URL to accept (UPS checks it exactly); default: any loopback URL'
            cand --access-ttl 'Lifetime of access tokens, in seconds'
            cand --refresh-ttl 'Lifetime of refresh tokens, in seconds'
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idm-auth;completions'= {
            cand --profile 'Use this profile from the config file (also IDM_AUTH_PROFILE)'
            cand --store 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path'
            cand -q 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand --quiet 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idm-auth;help'= {
            cand authorize 'Opt a UPS.com user in: open the UPS consent page, catch the redirect, keep the tokens'
            cand list 'Show the opt-ins on this machine, newest first'
            cand status 'Show the opt-in that `token` would use (or ID): its user, UPS, store and lifetimes'
            cand token 'Print a valid access token (and nothing else) on stdout, refreshing it when needed'
            cand exec 'Run a command with a valid access token in its environment (UPS_ACCESS_TOKEN, UPS_API_BASE)'
            cand api 'Call a UPS API with an opt-in''s token (UPS''s headers, its errors explained, 401/429 handled)'
            cand check 'Check that every opt-in is usable and none needs renewing soon (for cron and monitoring)'
            cand clear 'Dissolve opt-ins: delete their tokens from the store and their rows from the index'
            cand config 'Keep settings in profiles of the config file, and a profile''s client secret in the store (the OS keyring, the file store or Vault; never in the file)'
            cand demo 'Run the whole opt-in against the built-in UPS simulator and show the grid'
            cand simulator 'Serve a UPS OAuth simulator on 127.0.0.1 (true to UPS''s published API) for trials and tests'
            cand completions 'Print shell completions for SHELL on stdout'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'idm-auth;help;authorize'= {
        }
        &'idm-auth;help;list'= {
        }
        &'idm-auth;help;status'= {
        }
        &'idm-auth;help;token'= {
        }
        &'idm-auth;help;exec'= {
        }
        &'idm-auth;help;api'= {
        }
        &'idm-auth;help;check'= {
        }
        &'idm-auth;help;clear'= {
        }
        &'idm-auth;help;config'= {
            cand show 'Print the resolved settings and where each value came from (secrets as set/unset)'
            cand init 'Make a profile (--profile NAME, else `default`) from flags, or by asking on a terminal'
            cand set 'Set one key of the profile (--profile NAME, else the default profile; made if missing)'
            cand unset 'Remove one key from the profile (--profile NAME, else the default profile)'
            cand set-secret 'Keep the profile''s client secret in the store: the OS keyring by default, the sealed files with --store file, Vault with --store vault (read from stdin or a hidden prompt)'
            cand delete-secret 'Delete the profile''s client secret from the store (new opt-ins are then made without one)'
            cand path 'Print the path of the config file'
        }
        &'idm-auth;help;config;show'= {
        }
        &'idm-auth;help;config;init'= {
        }
        &'idm-auth;help;config;set'= {
        }
        &'idm-auth;help;config;unset'= {
        }
        &'idm-auth;help;config;set-secret'= {
        }
        &'idm-auth;help;config;delete-secret'= {
        }
        &'idm-auth;help;config;path'= {
        }
        &'idm-auth;help;demo'= {
        }
        &'idm-auth;help;simulator'= {
        }
        &'idm-auth;help;completions'= {
        }
        &'idm-auth;help;help'= {
        }
    ]
    $completions[$command]
}

# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_idm_auth_global_optspecs
    string join \n profile= q/quiet store= h/help V/version
end

function __fish_idm_auth_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_idm_auth_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_idm_auth_using_subcommand
    set -l cmd (__fish_idm_auth_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c idm-auth -n "__fish_idm_auth_needs_command" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_needs_command" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_needs_command" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c idm-auth -n "__fish_idm_auth_needs_command" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_needs_command" -f -a "authorize" -d 'Opt a UPS.com user in: open the UPS consent page, catch the redirect, keep the tokens'
complete -c idm-auth -n "__fish_idm_auth_needs_command" -f -a "list" -d 'Show the opt-ins on this machine, newest first'
complete -c idm-auth -n "__fish_idm_auth_needs_command" -f -a "status" -d 'Show the opt-in that `token` would use (or ID): its user, UPS, store and lifetimes'
complete -c idm-auth -n "__fish_idm_auth_needs_command" -f -a "token" -d 'Print a valid access token (and nothing else) on stdout, refreshing it when needed'
complete -c idm-auth -n "__fish_idm_auth_needs_command" -f -a "exec" -d 'Run a command with a valid access token in its environment (UPS_ACCESS_TOKEN, UPS_API_BASE)'
complete -c idm-auth -n "__fish_idm_auth_needs_command" -f -a "api" -d 'Call a UPS API with an opt-in\'s token (UPS\'s headers, its errors explained, 401/429 handled)'
complete -c idm-auth -n "__fish_idm_auth_needs_command" -f -a "check" -d 'Check that every opt-in is usable and none needs renewing soon (for cron and monitoring)'
complete -c idm-auth -n "__fish_idm_auth_needs_command" -f -a "clear" -d 'Dissolve opt-ins: delete their tokens from the store and their rows from the index'
complete -c idm-auth -n "__fish_idm_auth_needs_command" -f -a "config" -d 'Keep settings in profiles of the config file, and a profile\'s client secret in the store (the OS keyring, the file store or Vault; never in the file)'
complete -c idm-auth -n "__fish_idm_auth_needs_command" -f -a "demo" -d 'Run the whole opt-in against the built-in UPS simulator and show the grid'
complete -c idm-auth -n "__fish_idm_auth_needs_command" -f -a "simulator" -d 'Serve a UPS OAuth simulator on 127.0.0.1 (true to UPS\'s published API) for trials and tests'
complete -c idm-auth -n "__fish_idm_auth_needs_command" -f -a "completions" -d 'Print shell completions for SHELL on stdout'
complete -c idm-auth -n "__fish_idm_auth_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand authorize" -l label -d 'A name for this opt-in, shown by `list` (e.g. the UPS.com user\'s name)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand authorize" -l env -d 'The UPS environment to opt in to (also IDM_AUTH_ENV)' -r -f -a "cie\t'UPS\'s Customer Integration Environment (https://wwwcie.ups.com)'
production\t'UPS production (https://onlinetools.ups.com)'"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand authorize" -l base-url -d 'The UPS origin, e.g. https://wwwcie.ups.com; overrides --env\'s host. Plain http is accepted only for loopback hosts (the simulator). Also IDM_AUTH_BASE_URL' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand authorize" -l client-id -d 'The app\'s client id at UPS (also IDM_AUTH_CLIENT_ID)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand authorize" -l port -d 'The loopback port of the redirect URI (must match the callback URL registered at UPS)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand authorize" -l redirect-uri -d 'The full redirect URI registered at UPS, e.g. http://127.0.0.1:8765/callback' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand authorize" -l timeout -d 'Seconds to wait for the consent to complete' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand authorize" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand authorize" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand authorize" -l client-secret-stdin -d 'Read the client secret from the first line of stdin (otherwise IDM_AUTH_CLIENT_SECRET, then the profile\'s secret in the keyring; without any, the PKCE public-client form)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand authorize" -l no-browser -d 'Do not open a browser: print the address, and accept the address the browser ended on pasted on stdin (for SSH sessions)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand authorize" -l json -d 'Print the new opt-in as JSON (the `list --json` object) instead of its id'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand authorize" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand authorize" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand authorize" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand list" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand list" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand list" -l json -d 'A JSON array for scripts (schema in docs/reference.md). Never contains a secret'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand list" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand list" -s h -l help -d 'Print help'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand list" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand status" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand status" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand status" -l json -d 'As JSON: the `list --json` object of that opt-in'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand status" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand status" -s h -l help -d 'Print help'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand status" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand token" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand token" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand token" -l json -d 'The token with its expiry as JSON (for programs that cache it until then)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand token" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand token" -s h -l help -d 'Print help'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand token" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand exec" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand exec" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand exec" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand exec" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand exec" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand api" -s X -l method -d 'The HTTP method (default GET, or POST when fields or --input are given)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand api" -s H -l header -d 'Add a request header, `Name: value` (repeatable); replaces one of idm-auth\'s own' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand api" -s f -l raw-field -d 'A string field of the JSON body (a query parameter for GET); `key[sub]=v` nests' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand api" -s F -l field -d 'A typed field: numbers, true, false and null as JSON; `@FILE` (or `@-`) the file\'s text' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand api" -l input -d 'The request body from FILE, or `-` for stdin, sent as it is' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand api" -l jq -d 'Filter the JSON answer through a jq expression (no jq needed); strings print raw' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand api" -l transaction-src -d 'The `transactionSrc` header naming the calling application (default `idm-auth`; also IDM_AUTH_TRANSACTION_SRC, or `transaction_src` in the profile)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand api" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand api" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand api" -s i -l include -d 'Print the status line and the response headers before the body'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand api" -l silent -d 'Print no response body'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand api" -l no-retry -d 'Do not wait and retry after a 429 or 503 (otherwise up to 30 s in all, as UPS\'s Retry-After asks)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand api" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand api" -s h -l help -d 'Print help'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand api" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand check" -l within -d 'Warn when a refresh token (the opt-in itself) expires within this many days' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand check" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand check" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand check" -l json -d 'The details as JSON on stdout'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand check" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand check" -s h -l help -d 'Print help'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand check" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand clear" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand clear" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand clear" -l all -d 'Clear every opt-in on this machine (of the --profile, when one is given)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand clear" -s y -l yes -d 'Do not ask for confirmation'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand clear" -l json -d 'Print what was removed as JSON'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand clear" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand clear" -s h -l help -d 'Print help'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand clear" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and not __fish_seen_subcommand_from show init set unset set-secret delete-secret path help" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and not __fish_seen_subcommand_from show init set unset set-secret delete-secret path help" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and not __fish_seen_subcommand_from show init set unset set-secret delete-secret path help" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and not __fish_seen_subcommand_from show init set unset set-secret delete-secret path help" -s h -l help -d 'Print help'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and not __fish_seen_subcommand_from show init set unset set-secret delete-secret path help" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and not __fish_seen_subcommand_from show init set unset set-secret delete-secret path help" -f -a "show" -d 'Print the resolved settings and where each value came from (secrets as set/unset)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and not __fish_seen_subcommand_from show init set unset set-secret delete-secret path help" -f -a "init" -d 'Make a profile (--profile NAME, else `default`) from flags, or by asking on a terminal'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and not __fish_seen_subcommand_from show init set unset set-secret delete-secret path help" -f -a "set" -d 'Set one key of the profile (--profile NAME, else the default profile; made if missing)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and not __fish_seen_subcommand_from show init set unset set-secret delete-secret path help" -f -a "unset" -d 'Remove one key from the profile (--profile NAME, else the default profile)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and not __fish_seen_subcommand_from show init set unset set-secret delete-secret path help" -f -a "set-secret" -d 'Keep the profile\'s client secret in the store: the OS keyring by default, the sealed files with --store file, Vault with --store vault (read from stdin or a hidden prompt)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and not __fish_seen_subcommand_from show init set unset set-secret delete-secret path help" -f -a "delete-secret" -d 'Delete the profile\'s client secret from the store (new opt-ins are then made without one)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and not __fish_seen_subcommand_from show init set unset set-secret delete-secret path help" -f -a "path" -d 'Print the path of the config file'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and not __fish_seen_subcommand_from show init set unset set-secret delete-secret path help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from show" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from show" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from show" -l json -d 'As JSON'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from show" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from init" -l label -d 'A name for this opt-in, shown by `list` (e.g. the UPS.com user\'s name)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from init" -l env -d 'The UPS environment to opt in to (also IDM_AUTH_ENV)' -r -f -a "cie\t'UPS\'s Customer Integration Environment (https://wwwcie.ups.com)'
production\t'UPS production (https://onlinetools.ups.com)'"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from init" -l base-url -d 'The UPS origin, e.g. https://wwwcie.ups.com; overrides --env\'s host. Plain http is accepted only for loopback hosts (the simulator). Also IDM_AUTH_BASE_URL' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from init" -l client-id -d 'The app\'s client id at UPS (also IDM_AUTH_CLIENT_ID)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from init" -l port -d 'The loopback port of the redirect URI (must match the callback URL registered at UPS)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from init" -l redirect-uri -d 'The full redirect URI registered at UPS, e.g. http://127.0.0.1:8765/callback' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from init" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from init" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from init" -l client-secret-stdin -d 'Read the client secret from the first line of stdin (otherwise IDM_AUTH_CLIENT_SECRET, then the profile\'s secret in the keyring; without any, the PKCE public-client form)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from init" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from init" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from set" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from set" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from set" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from set" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from unset" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from unset" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from unset" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from unset" -s h -l help -d 'Print help'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from unset" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from set-secret" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from set-secret" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from set-secret" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from set-secret" -s h -l help -d 'Print help'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from set-secret" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from delete-secret" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from delete-secret" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from delete-secret" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from delete-secret" -s h -l help -d 'Print help'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from delete-secret" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from path" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from path" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from path" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from path" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the resolved settings and where each value came from (secrets as set/unset)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "init" -d 'Make a profile (--profile NAME, else `default`) from flags, or by asking on a terminal'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "set" -d 'Set one key of the profile (--profile NAME, else the default profile; made if missing)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "unset" -d 'Remove one key from the profile (--profile NAME, else the default profile)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "set-secret" -d 'Keep the profile\'s client secret in the store: the OS keyring by default, the sealed files with --store file, Vault with --store vault (read from stdin or a hidden prompt)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "delete-secret" -d 'Delete the profile\'s client secret from the store (new opt-ins are then made without one)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the path of the config file'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand demo" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand demo" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand demo" -l no-browser -d 'Never open a browser: approve the simulated consent automatically'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand demo" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand demo" -s h -l help -d 'Print help'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand demo" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand simulator" -l port -d 'Port on 127.0.0.1 (0 picks a free one). The base URL is printed on stdout' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand simulator" -l client-id -d 'The client id the simulator accepts. A client secret, if any, is read from IDM_AUTH_CLIENT_SECRET (never from the command line)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand simulator" -l redirect-uri -d 'The one callback URL to accept (UPS checks it exactly); default: any loopback URL' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand simulator" -l access-ttl -d 'Lifetime of access tokens, in seconds' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand simulator" -l refresh-ttl -d 'Lifetime of refresh tokens, in seconds' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand simulator" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand simulator" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand simulator" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand simulator" -s h -l help -d 'Print help'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand simulator" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand completions" -l profile -d 'Use this profile from the config file (also IDM_AUTH_PROFILE)' -r
complete -c idm-auth -n "__fish_idm_auth_using_subcommand completions" -l store -d 'Where the tokens live: the OS keyring (default), sealed files (servers), or OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for demo, simulator, completions, config path' -r -f -a "keyring\t''
file\t''
vault\t''"
complete -c idm-auth -n "__fish_idm_auth_using_subcommand completions" -s q -l quiet -d 'No talk on stderr: only errors, warnings and what needs an answer (a question, the sign-in address when no browser took it)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand completions" -s h -l help -d 'Print help'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand completions" -s V -l version -d 'Print version'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and not __fish_seen_subcommand_from authorize list status token exec api check clear config demo simulator completions help" -f -a "authorize" -d 'Opt a UPS.com user in: open the UPS consent page, catch the redirect, keep the tokens'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and not __fish_seen_subcommand_from authorize list status token exec api check clear config demo simulator completions help" -f -a "list" -d 'Show the opt-ins on this machine, newest first'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and not __fish_seen_subcommand_from authorize list status token exec api check clear config demo simulator completions help" -f -a "status" -d 'Show the opt-in that `token` would use (or ID): its user, UPS, store and lifetimes'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and not __fish_seen_subcommand_from authorize list status token exec api check clear config demo simulator completions help" -f -a "token" -d 'Print a valid access token (and nothing else) on stdout, refreshing it when needed'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and not __fish_seen_subcommand_from authorize list status token exec api check clear config demo simulator completions help" -f -a "exec" -d 'Run a command with a valid access token in its environment (UPS_ACCESS_TOKEN, UPS_API_BASE)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and not __fish_seen_subcommand_from authorize list status token exec api check clear config demo simulator completions help" -f -a "api" -d 'Call a UPS API with an opt-in\'s token (UPS\'s headers, its errors explained, 401/429 handled)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and not __fish_seen_subcommand_from authorize list status token exec api check clear config demo simulator completions help" -f -a "check" -d 'Check that every opt-in is usable and none needs renewing soon (for cron and monitoring)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and not __fish_seen_subcommand_from authorize list status token exec api check clear config demo simulator completions help" -f -a "clear" -d 'Dissolve opt-ins: delete their tokens from the store and their rows from the index'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and not __fish_seen_subcommand_from authorize list status token exec api check clear config demo simulator completions help" -f -a "config" -d 'Keep settings in profiles of the config file, and a profile\'s client secret in the store (the OS keyring, the file store or Vault; never in the file)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and not __fish_seen_subcommand_from authorize list status token exec api check clear config demo simulator completions help" -f -a "demo" -d 'Run the whole opt-in against the built-in UPS simulator and show the grid'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and not __fish_seen_subcommand_from authorize list status token exec api check clear config demo simulator completions help" -f -a "simulator" -d 'Serve a UPS OAuth simulator on 127.0.0.1 (true to UPS\'s published API) for trials and tests'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and not __fish_seen_subcommand_from authorize list status token exec api check clear config demo simulator completions help" -f -a "completions" -d 'Print shell completions for SHELL on stdout'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and not __fish_seen_subcommand_from authorize list status token exec api check clear config demo simulator completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Print the resolved settings and where each value came from (secrets as set/unset)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "init" -d 'Make a profile (--profile NAME, else `default`) from flags, or by asking on a terminal'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "set" -d 'Set one key of the profile (--profile NAME, else the default profile; made if missing)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "unset" -d 'Remove one key from the profile (--profile NAME, else the default profile)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "set-secret" -d 'Keep the profile\'s client secret in the store: the OS keyring by default, the sealed files with --store file, Vault with --store vault (read from stdin or a hidden prompt)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "delete-secret" -d 'Delete the profile\'s client secret from the store (new opt-ins are then made without one)'
complete -c idm-auth -n "__fish_idm_auth_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Print the path of the config file'

"""The one base class of every error leakwatch raises on purpose.

It lives here, in the lowest package, because matchers, crawler and leakwatch all raise
errors and matchers imports neither of the others; `leakwatch.LeakwatchError` is the same class.
Catching `LeakwatchError` catches every error that says what went wrong in words
a user can act on (the CLI prints it on one line and exits 2); anything else that escapes is a
bug. Each class keeps the builtin base it had (ValueError, RuntimeError, ConnectionError),
so code that catches those still does.

    LeakwatchError
    ├── matchers
    │   ├── ExtractError ............ a document could not be read or was stopped by a limit
    │   │   └── SourceStopped ....... the whole input was stopped by a limit (budget)
    │   ├── ReadFailed .............. a reader's safe message; the document wraps it in an ExtractError
    │   ├── DeploymentKeyError ...... (ValueError) the deployment key file is missing or malformed
    │   ├── FingerprintFileError .... (ValueError) not a .lwfp file, damaged, another version or key
    │   └── RegistryError ........... (ValueError) bad name, unknown dataset, wrong key
    ├── crawler
    │   ├── SourcesError ............ (ValueError) a sources file that cannot be used
    │   ├── CredentialsError ........ (ValueError) a credentials reference that does not resolve
    │   ├── StoreUnavailable ........ (RuntimeError) Redis cannot be reached during a crawl
    │   ├── RouteUnavailable ........ traffic cannot leave by this route now
    │   ├── ScanFailed .............. scanning an item failed (a bug); the item stays not done
    │   └── CrawlSetupError ......... (ValueError) the crawler's Scrapy settings lack or garble what it needs
    └── leakwatch
        ├── Failure ................. a CLI command's own refusal
        ├── SettingsError ........... (ValueError) a setting of the wrong type, unknown, bad config file
        ├── StoreURLError ........... (ValueError) a Redis URL leakwatch cannot use
        ├── RedisServerError ........ (RuntimeError) leakwatch's own redis-server is missing or would not start
        ├── TorUnavailable .......... (RuntimeError) tor cannot carry traffic now
        ├── TorAddressError ......... (ValueError) a tor address setting that is not host:port
        ├── AccountError ............ (ValueError) bad analyst name, weak password, exists, unknown
        ├── TriageError ............. (ValueError) unknown match, state or analyst
        ├── AlertError .............. (ValueError) bad alert settings or an unknown delivery
        ├── DeliveryError ........... one alert delivery attempt failed (retried)
        ├── AffectedError ........... `leakwatch affected`: positions not fetched, or not of the table given
        ├── AlreadyRunning .......... `leakwatch scan-service`: one of the same settings already runs
        ├── CsrfError ............... web: a state-changing request without the right token (403)
        ├── LoginRequired ........... web: no valid session (redirect to the login page)
        ├── BodyTooLarge ............ web: a request body over the limit (413)
        ├── TorNetworkError ......... (RuntimeError) test world: the private Tor network would not start
        ├── SocksError .............. (ConnectionError) test world: a SOCKS proxy refused the connection
        └── FixtureSitesError ....... (RuntimeError) test world: the fixture sites would not start

Not in the tree: private signals that never leave the class or function that raises them
(matchers.extract.sevenzip._Cancelled, matchers.extract.workbook._ChildGone,
matchers.match.dump._StaleSnapshot, leakwatch.scan_service.server._Stop), and errors of the
libraries underneath (redis-py's ConnectionError and the like), which the CLI names as such.
tests/test_exception_tree.py checks that every other exception class derives from LeakwatchError.
"""


class LeakwatchError(Exception):
    """An error leakwatch raises on purpose; its message is one line a user can act on and never
    quotes a dump's content."""

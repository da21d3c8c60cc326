extension TerminalUI {
    /// How the terminal UI runs.
    public struct Options: Sendable, Equatable {
        /// Draw only ASCII (`true`), or UTF-8 (`false`); `nil` detects it: ASCII unless the
        /// locale's character set is UTF-8 (see ``prefersASCII(codesetIsUTF8:term:)``).
        public var ascii: Bool?
        /// Use colors when the terminal has them.
        public var colors: Bool
        /// How long the UI thread waits for a key before looking at the model again (10…100 ms).
        public var pollMilliseconds: Int32
        /// Two sessions to compare (see ``ViewState/compare``); the UI then starts on
        /// server → client, comparing.
        public var compare: ComparedSessions?

        /// Options from their parts: detect ASCII, colors on, 30 ms polls, nothing compared.
        public init(
            ascii: Bool? = nil, colors: Bool = true, pollMilliseconds: Int32 = 30,
            compare: ComparedSessions? = nil
        ) {
            self.ascii = ascii
            self.colors = colors
            self.pollMilliseconds = min(100, max(10, pollMilliseconds))
            self.compare = compare
        }

        /// The detection used when ``ascii`` is `nil`: ASCII when the locale's character set
        /// (after `setlocale(LC_ALL, "")`, from `LC_ALL`/`LC_CTYPE`/`LANG`) is not UTF-8, or when
        /// `TERM` names a terminal without Unicode (`dumb`, `vt100`, `vt220`, `ansi`).
        public static func prefersASCII(codesetIsUTF8: Bool, term: String?) -> Bool {
            !codesetIsUTF8 || ["dumb", "vt100", "vt102", "vt220", "ansi"].contains(term ?? "")
        }
    }
}

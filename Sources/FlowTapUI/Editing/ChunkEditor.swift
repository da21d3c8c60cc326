import FlowCore
import FlowEvents
import FlowTapKit

/// The editor of a held chunk, or of new bytes to inject: a pure value (no curses, no I/O)
/// that keys change and ``ScreenRenderer/drawEditor(_:_:y:height:)`` draws.
///
/// The bytes are typed in one of two notations, ``Mode``: text (the escapes of
/// ``ByteEscapes``: printable ASCII as is, `\r`, `\n`, `\t`, `\\`, `\xNN`) or hex (pairs of hex
/// digits, `48 45 4c 4c 4f`). ``text`` holds what is typed; ``bytes()`` parses it. Tab switches
/// the notation when the text parses, Enter submits the parsed bytes, Esc cancels.
public struct ChunkEditor: Sendable, Equatable {
    /// The notation of ``ChunkEditor/text``.
    public enum Mode: Sendable, Equatable {
        /// ``ByteEscapes``: printable ASCII as is, `\\`, `\r`, `\n`, `\t`, `\xNN`; any other
        /// typed character stands for its UTF-8 bytes.
        case text
        /// Hex digits (either case), two a byte; whitespace anywhere is ignored. Formatted as
        /// lowercase pairs separated by single spaces.
        case hex
    }

    /// What a key did to the editor.
    public enum Outcome: Sendable, Equatable {
        /// The editor stays open.
        case editing
        /// Esc: close the editor, send nothing.
        case cancelled
        /// Enter with a text that parses: close the editor and send these bytes (possibly empty;
        /// the caller decides what an empty result means).
        case submitted([UInt8])
    }

    /// The reason set when a key other than a hex digit or a space is typed in hex mode.
    public static let hexInputError = "hex mode: type hex digits (Tab switches to text)"
    /// The reason set when a control character arrives as typed input.
    public static let controlInputError = "control characters are typed as escapes: \\r \\n \\t \\xNN"

    /// What the editor's top line says it edits, e.g. `edit the held chunk  client → server #3`.
    /// Drawn as given (made terminal-safe): the caller writes it for the terminal, e.g. with
    /// `Direction.title(ascii:)` on an ASCII terminal.
    public var title: String
    /// The notation ``text`` is in.
    public private(set) var mode: Mode
    /// What is typed, in ``mode``'s notation, one element per typed character.
    public private(set) var text: [Character]
    /// The insertion point: an index into ``text``, `0...text.count`.
    public private(set) var cursor: Int
    /// The last problem (a parse error of Tab or Enter, or a refused character), shown in the
    /// editor; cleared by the next key the editor handles.
    public private(set) var error: String?
    /// The bytes the editor opened with (empty to inject new bytes).
    public let original: [UInt8]
    /// How many characters Up and Down move the cursor by: the width of a displayed line (see
    /// ``setWidth(_:)``); 64 until set.
    public private(set) var lineWidth: Int = 64

    /// An editor titled `title` on `bytes`, written in `mode`'s notation, the cursor at the end.
    public init(title: String, bytes: [UInt8], mode: Mode = .text) {
        self.title = title
        self.mode = mode
        self.original = bytes
        self.text = Array(Self.format(bytes, mode))
        self.cursor = text.count
        self.error = nil
    }

    /// Sets ``lineWidth``, the characters Up and Down move by, to `width` (at least 1). The
    /// caller passes the width the text is drawn at, ``ScreenRenderer/editorTextWidth(screenWidth:)``.
    public mutating func setWidth(_ width: Int) {
        lineWidth = max(1, width)
    }

    /// Applies `key` and says whether the editor stays open.
    ///
    /// `.char` inserts at the cursor (in hex mode only hex digits and space; never a control
    /// character: those set ``error``); Backspace and Delete remove the character before and
    /// after the cursor; Left, Right, Home, End move it by one character or to an end; Up and
    /// Down move it by ``lineWidth`` characters, stopping at an end (one displayed line while
    /// every character takes one column, as encoded bytes do); Tab re-writes the parsed
    /// bytes in the other notation, the cursor at the end; Enter returns
    /// ``Outcome/submitted(_:)`` with the parsed bytes; Esc returns ``Outcome/cancelled``. When
    /// Tab's or Enter's parse fails, nothing changes but ``error``. Any key handled clears the
    /// previous ``error`` first; other keys (PgUp, resize…) change nothing.
    public mutating func handle(_ key: Key) -> Outcome {
        switch key {
        case .char, .backspace, .delete, .left, .right, .home, .end, .up, .down, .tab, .enter, .escape:
            error = nil
        default:
            return .editing
        }
        switch key {
        case .char(let c):
            insert(c)
        case .backspace:
            if cursor > 0 {
                text.remove(at: cursor - 1)
                cursor -= 1
            }
        case .delete:
            if cursor < text.count { text.remove(at: cursor) }
        case .left:
            cursor = max(0, cursor - 1)
        case .right:
            cursor = min(text.count, cursor + 1)
        case .home:
            cursor = 0
        case .end:
            cursor = text.count
        case .up:
            cursor = max(0, cursor - lineWidth)
        case .down:
            cursor = min(text.count, cursor + lineWidth)
        case .tab:
            switch bytes() {
            case .success(let parsed):
                mode = mode == .text ? .hex : .text
                text = Array(Self.format(parsed, mode))
                cursor = text.count
            case .failure(let failure):
                error = failure.description
            }
        case .enter:
            switch bytes() {
            case .success(let parsed): return .submitted(parsed)
            case .failure(let failure): error = failure.description
            }
        case .escape:
            return .cancelled
        default:
            break
        }
        return .editing
    }

    /// The bytes ``text`` stands for in ``mode``'s notation, or why it does not parse (the
    /// error's position counts the elements of ``text`` from 1).
    public func bytes() -> Result<[UInt8], ByteEscapes.DecodeError> {
        switch mode {
        case .text:
            do throws(ByteEscapes.DecodeError) {
                return .success(try ByteEscapes.decode(String(text)))
            } catch {
                // decode counts Unicode scalars; a typed Character may hold several.
                var failure = error
                failure.position = characterPosition(ofScalar: error.position)
                return .failure(failure)
            }
        case .hex:
            return Self.parseHex(text)
        }
    }

    /// True when the text does not parse, or parses to bytes other than ``original``.
    public var changed: Bool {
        (try? bytes().get()) != original
    }

    /// `14 B → 16 B`: the original size, then the size of what the text parses to (`?` when it
    /// does not parse), both exact.
    public var summary: String { summary(ascii: false) }

    /// ``summary`` with `->` for the arrow when `ascii` is true.
    public func summary(ascii: Bool) -> String {
        let now = (try? bytes().get()).map { "\($0.count) B" } ?? "?"
        return "\(original.count) B \(ascii ? "->" : "→") \(now)"
    }

    /// `bytes` written in `mode`'s notation.
    static func format(_ bytes: [UInt8], _ mode: Mode) -> String {
        switch mode {
        case .text: return ByteEscapes.encode(bytes)
        case .hex: return bytes.map { DisplayText.hex($0) }.joined(separator: " ")
        }
    }

    /// The bytes of hex digits in `text`, whitespace ignored.
    static func parseHex(_ text: [Character]) -> Result<[UInt8], ByteEscapes.DecodeError> {
        var out: [UInt8] = []
        var high: UInt8?
        var lastDigit = 0
        for (index, c) in text.enumerated() {
            if c.isWhitespace { continue }
            guard let value = c.hexDigitValue, c.isASCII else {
                return .failure(.init(position: index + 1, reason: "not a hex digit: \(c)"))
            }
            lastDigit = index + 1
            if let h = high {
                out.append(h << 4 | UInt8(value))
                high = nil
            } else {
                high = UInt8(value)
            }
        }
        if high != nil {
            return .failure(.init(position: lastDigit, reason: "an odd number of hex digits"))
        }
        return .success(out)
    }

    private mutating func insert(_ c: Character) {
        if c.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            error = Self.controlInputError
            return
        }
        if mode == .hex && !(c == " " || (c.isASCII && c.isHexDigit)) {
            error = Self.hexInputError
            return
        }
        text.insert(c, at: cursor)
        cursor += 1
    }

    /// The position (from 1) in ``text`` of the character holding Unicode scalar `position`
    /// (from 1) of `String(text)`.
    private func characterPosition(ofScalar position: Int) -> Int {
        var scalars = 0
        for (index, c) in text.enumerated() {
            scalars += c.unicodeScalars.count
            if scalars >= position { return index + 1 }
        }
        return max(1, text.count)
    }
}

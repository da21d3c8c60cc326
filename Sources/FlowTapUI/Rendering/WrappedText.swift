/// Styled runs of text laid out on rows of a given width: broken after spaces (a word longer
/// than a row anywhere), so that no text is cut. Used where a line may be longer than the
/// terminal is wide: the footer's prompts, messages and errors, and the help.
enum WrappedText {
    /// A run of text in one style.
    typealias Run = (text: String, style: CellStyle)

    /// The rows of `runs` at most `width` columns wide (at least one row; `width` at least 1).
    /// The text is sanitized for the terminal first (``DisplayText/sanitize(_:ascii:)``); a
    /// space where a row breaks is left out.
    static func rows(_ runs: [Run], width: Int, ascii: Bool) -> [[Run]] {
        let width = max(1, width)
        var rows: [[Run]] = [[]]
        var used = 0
        func append(_ text: String, _ style: CellStyle) {
            if let last = rows[rows.count - 1].last, last.style == style {
                rows[rows.count - 1][rows[rows.count - 1].count - 1].text += text
            } else {
                rows[rows.count - 1].append((text, style))
            }
        }
        func newRow() {
            rows.append([])
            used = 0
        }
        for run in runs {
            let safe = DisplayText.sanitize(run.text, ascii: ascii)
            for token in tokens(safe) {
                let w = DisplayText.width(token, ascii: ascii)
                if token == " " {
                    if used + 1 <= width {
                        append(token, run.style)
                        used += 1
                    } else {
                        newRow()
                    }
                    continue
                }
                if used + w > width && used > 0 && w <= width { newRow() }
                if used + w <= width {
                    append(token, run.style)
                    used += w
                    continue
                }
                // A word longer than a row: broken where the row ends.
                for scalar in token.unicodeScalars {
                    let sw = DisplayText.width(of: scalar, ascii: ascii) ?? 1
                    if used + sw > width { newRow() }
                    append(String(scalar), run.style)
                    used += sw
                }
            }
        }
        return rows
    }

    /// `text` as words and single spaces.
    private static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var word = ""
        for character in text {
            if character == " " {
                if !word.isEmpty { tokens.append(word) }
                word = ""
                tokens.append(" ")
            } else {
                word.append(character)
            }
        }
        if !word.isEmpty { tokens.append(word) }
        return tokens
    }
}

import FlowTapKit

/// One line of a pane's body, as styled runs of text, before it is put in the grid.
struct PaneLine {
    /// The runs of text, left to right.
    var spans: [(text: String, style: CellStyle)] = []
    /// The direction offset of the first byte shown on the line, if it shows bytes.
    var firstByte: Int?

    /// Appends a run, merging it with the last one when the style is the same.
    mutating func append(_ text: String, _ style: CellStyle) {
        if let last = spans.last, last.style == style {
            spans[spans.count - 1].text += text
        } else {
            spans.append((text, style))
        }
    }
}

import NIOCore

/// Escapes bytes into readable ASCII for log lines.
enum Escaping {
    /// The bytes as printable ASCII, other bytes as `\xNN`, and `\r`, `\n`, `\t`, `\\` escaped.
    static func escaped(_ buffer: ByteBuffer) -> String {
        var out = ""
        out.reserveCapacity(buffer.readableBytes)
        for byte in buffer.readableBytesView {
            switch byte {
            case UInt8(ascii: "\\"): out += "\\\\"
            case UInt8(ascii: "\n"): out += "\\n"
            case UInt8(ascii: "\r"): out += "\\r"
            case UInt8(ascii: "\t"): out += "\\t"
            case 0x20..<0x7f: out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}

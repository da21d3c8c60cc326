import NIOCore

/// Lower-case hex text of bytes, as events carry them (`"hex":"2a310d0a"`), and back.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// `bytes` as lower-case hex, two digits a byte.
    public static func encode(_ bytes: ByteBuffer) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.readableBytes * 2)
        for byte in bytes.readableBytesView {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of hex text (either case, no separators), or `nil` when it is not an even
    /// number of hex digits.
    public static func decode(_ text: String) -> ByteBuffer? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(utf8[index]), let low = value(utf8[index + 1]) else { return nil }
            buffer.writeInteger(high << 4 | low)
            index += 2
        }
        return buffer
    }

    private static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

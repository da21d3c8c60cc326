import FlowCore

/// Encodes an `Encodable` value as one line of compact JSON, keeping keys in the order they were
/// encoded (a contract's field order stays as written) and printing ``JSONNumber`` values
/// exactly as they spell themselves (`"t":1795617012.234301`, not a rounded `Double`).
///
/// It supports what flowtap's events need: keyed containers (nested too), unkeyed containers,
/// strings, booleans, integers, floating-point numbers and `nil`. Strings are escaped as JSON
/// requires (`"`, `\`, and every control character), so a line never contains a raw newline or
/// a terminal escape. A key encoded twice in one object keeps its first place and its last value.
///
/// ```swift
/// let line = try JSONLineEncoder().encode(event)   // {"t":…,"event":"data","conn":1,…}
/// ```
public struct JSONLineEncoder: Sendable {
    /// Options handed to the values' `encode(to:)` (see `Encoder.userInfo`).
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    /// An encoder with no options.
    public init() {}

    /// The JSON of `value`, without a newline.
    /// - Throws: whatever `value`'s `encode(to:)` throws (`EncodingError` for a value that is
    ///   not a JSON value, e.g. a non-finite `Double`).
    public func encode<T: Encodable>(_ value: T) throws -> String {
        let root = JSONNodeBox()
        let encoder = JSONNodeEncoder(box: root, codingPath: [], userInfo: userInfo)
        try JSONNodeEncoder.encode(value, into: encoder)
        var out = ""
        root.node.write(into: &out)
        return out
    }
}

/// A number that spells its own JSON text (e.g. seconds with exactly six decimals). Other
/// encoders see it through its `Encodable` conformance (a plain number).
public protocol JSONNumber: Encodable {
    /// The number as JSON text: digits, an optional `-`, `.` and exponent; nothing else.
    var jsonText: String { get }
}

/// A JSON value under construction, keys in insertion order.
enum JSONNode {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array(JSONArrayBox)
    case object(JSONObjectBox)

    func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): JSONNode.quote(text, into: &out)
        case .array(let box):
            out += "["
            for (index, element) in box.elements.enumerated() {
                if index > 0 { out += "," }
                element.node.write(into: &out)
            }
            out += "]"
        case .object(let box):
            out += "{"
            for (index, key) in box.keys.enumerated() {
                if index > 0 { out += "," }
                JSONNode.quote(key, into: &out)
                out += ":"
                box.values[key]!.node.write(into: &out)
            }
            out += "}"
        }
    }

    /// `text` as a JSON string literal: `"` and `\` escaped, `\n`, `\r`, `\t` by name, and
    /// every other scalar a terminal must not get as it is (``FlowCore/TerminalText/isSafe(_:ascii:)``:
    /// C0, DEL, C1, bidirectional and other format controls, …) as `\uXXXX` (a surrogate pair
    /// above U+FFFF), so a JSON line printed on a terminal is as safe as a text line.
    static func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value >= 0x20 && scalar.value < 0x7f: out.unicodeScalars.append(scalar)
            case _ where !TerminalText.isSafe(scalar):
                if scalar.value > 0xffff {
                    let v = scalar.value - 0x10000
                    unicodeEscape(0xd800 + (v >> 10), into: &out)
                    unicodeEscape(0xdc00 + (v & 0x3ff), into: &out)
                } else {
                    unicodeEscape(scalar.value, into: &out)
                }
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// `\uXXXX` for a UTF-16 code unit (lowercase hex).
    private static func unicodeEscape(_ unit: UInt32, into out: inout String) {
        let hex = String(unit, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}

/// A slot holding one node, shared by an encoder and the container it makes.
final class JSONNodeBox {
    var node: JSONNode = .null
}

/// An object's members in insertion order.
final class JSONObjectBox {
    var keys: [String] = []
    var values: [String: JSONNodeBox] = [:]

    func slot(_ key: String) -> JSONNodeBox {
        if let existing = values[key] { return existing }
        let box = JSONNodeBox()
        keys.append(key)
        values[key] = box
        return box
    }
}

/// An array's elements.
final class JSONArrayBox {
    var elements: [JSONNodeBox] = []

    func append() -> JSONNodeBox {
        let box = JSONNodeBox()
        elements.append(box)
        return box
    }
}

struct JSONNodeEncoder: Encoder {
    let box: JSONNodeBox
    var codingPath: [any CodingKey]
    let options: [CodingUserInfoKey: any Sendable]
    var userInfo: [CodingUserInfoKey: Any] { options }

    init(box: JSONNodeBox, codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: any Sendable]) {
        self.box = box
        self.codingPath = codingPath
        self.options = userInfo
    }

    /// Encodes `value` into `encoder`'s slot: numbers that spell themselves and plain values
    /// directly, anything else through its `encode(to:)`.
    static func encode<T: Encodable>(_ value: T, into encoder: JSONNodeEncoder) throws {
        if let number = value as? any JSONNumber {
            encoder.box.node = .number(number.jsonText)
        } else {
            try value.encode(to: encoder)
        }
    }

    func objectBox() -> JSONObjectBox {
        if case .object(let existing) = box.node { return existing }
        let object = JSONObjectBox()
        box.node = .object(object)
        return object
    }

    func arrayBox() -> JSONArrayBox {
        if case .array(let existing) = box.node { return existing }
        let array = JSONArrayBox()
        box.node = .array(array)
        return array
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(JSONKeyedContainer<Key>(encoder: self, object: objectBox()))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        JSONUnkeyedContainer(encoder: self, array: arrayBox())
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        JSONSingleValueContainer(encoder: self)
    }

    func child(_ box: JSONNodeBox, key: any CodingKey) -> JSONNodeEncoder {
        JSONNodeEncoder(box: box, codingPath: codingPath + [key], userInfo: options)
    }
}

/// A plain value as a node, or nil when it must be encoded through its `encode(to:)`.
private func plainNode(_ value: some Encodable, path: [any CodingKey]) throws -> JSONNode? {
    switch value {
    case let v as String: return .string(v)
    case let v as Bool: return .bool(v)
    case let v as Int: return .number(String(v))
    case let v as Int64: return .number(String(v))
    case let v as UInt64: return .number(String(v))
    case let v as Double:
        guard v.isFinite else {
            throw EncodingError.invalidValue(
                v, .init(codingPath: path, debugDescription: "JSON has no \(v)"))
        }
        return .number(String(v))
    case let v as any JSONNumber: return .number(v.jsonText)
    default: return nil
    }
}

struct JSONKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: JSONNodeEncoder
    let object: JSONObjectBox
    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil(forKey key: Key) throws { object.slot(key.stringValue).node = .null }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        let slot = object.slot(key.stringValue)
        if let node = try plainNode(value, path: codingPath + [key]) {
            slot.node = node
        } else {
            try value.encode(to: encoder.child(slot, key: key))
        }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        encoder.child(object.slot(key.stringValue), key: key).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        encoder.child(object.slot(key.stringValue), key: key).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { encoder }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        encoder.child(object.slot(key.stringValue), key: key)
    }
}

struct JSONUnkeyedContainer: UnkeyedEncodingContainer {
    let encoder: JSONNodeEncoder
    let array: JSONArrayBox
    var codingPath: [any CodingKey] { encoder.codingPath }
    var count: Int { array.elements.count }

    private struct Index: CodingKey {
        var intValue: Int?
        var stringValue: String { String(intValue ?? 0) }
        init(intValue: Int) { self.intValue = intValue }
        init?(stringValue: String) { nil }
    }

    mutating func encodeNil() throws { array.append().node = .null }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let key = Index(intValue: count)
        let slot = array.append()
        if let node = try plainNode(value, path: codingPath + [key]) {
            slot.node = node
        } else {
            try value.encode(to: encoder.child(slot, key: key))
        }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        let key = Index(intValue: count)
        return encoder.child(array.append(), key: key).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let key = Index(intValue: count)
        return encoder.child(array.append(), key: key).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let key = Index(intValue: count)
        return encoder.child(array.append(), key: key)
    }
}

struct JSONSingleValueContainer: SingleValueEncodingContainer {
    let encoder: JSONNodeEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { encoder.box.node = .null }

    mutating func encode<T: Encodable>(_ value: T) throws {
        if let node = try plainNode(value, path: codingPath) {
            encoder.box.node = node
        } else {
            try value.encode(to: encoder)
        }
    }
}

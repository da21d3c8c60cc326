import FlowCore
import FlowTapKit
import FlowTransport

extension FuzzTarget {
    /// The address grammar (``Address/parse(_:)``): any text is an address or an
    /// ``AddressError``, and an address's `description` parses back to the same address.
    public static let address = FuzzTarget(name: "address") { bytes in
        let text = text(bytes)
        do throws(AddressError) {
            let address = try Address.parse(text)
            let again = try? Address.parse(address.description)
            require(
                again == address,
                "\(address) does not parse back to itself (got \(String(describing: again)))")
        } catch {
            _ = error.description
        }
    }

    /// `--fault DIR:KIND[=VALUE]` (``FaultSpec/parse(_:)``, with ``FaultSpec/parseSize(_:)``):
    /// a spec's `description` parses back to the same spec.
    public static let faultSpec = FuzzTarget(name: "fault-spec") { bytes in
        let text = text(bytes)
        _ = FaultSpec.parseSize(text)
        do throws(FaultSpecError) {
            let spec = try FaultSpec.parse(text)
            let again = try? FaultSpec.parse(spec.description)
            require(again == spec, "\(spec) does not parse back to itself (got \(String(describing: again)))")
        } catch {
            _ = error.description
        }
    }

    /// `--rewrite DIR:FROM=TO` (``RewriteRule/parse(_:)``) and the rule applied: the input's first
    /// line is the spec, the rest the chunk it is applied to. A rewritten chunk is as long as the
    /// original plus the growth of each replacement, and a chunk without a match is unchanged.
    public static let rewrite = FuzzTarget(name: "rewrite") { bytes in
        let newline = bytes.firstIndex(of: 0x0a) ?? bytes.endIndex
        let chunk = Array(bytes[min(newline + 1, bytes.endIndex)...])
        let rule: RewriteRule
        do throws(RewriteRule.ParseError) {
            rule = try RewriteRule.parse(text(Array(bytes[..<newline])))
        } catch {
            _ = error.description
            return
        }
        let (out, count) = rule.apply(to: chunk)
        require(
            count >= 0 && count <= chunk.count / rule.from.count, "\(count) matches in \(chunk.count) bytes")
        require(
            out.count == chunk.count + count * (rule.to.count - rule.from.count),
            "\(count) replacements of \(rule.from.count) by \(rule.to.count) bytes turned \(chunk.count) bytes into \(out.count)"
        )
        require(count > 0 || out == chunk, "a chunk without a match was changed")
    }

    /// The byte escapes of `--rewrite` and the editor (``ByteEscapes``): any text decodes to bytes
    /// or a ``ByteEscapes/DecodeError``, and `decode(encode(bytes)) == bytes` both for the bytes a
    /// text decoded to and for the raw input.
    public static let escapes = FuzzTarget(name: "escapes") { bytes in
        do throws(ByteEscapes.DecodeError) {
            let decoded = try ByteEscapes.decode(text(bytes))
            require(
                (try? ByteEscapes.decode(ByteEscapes.encode(decoded))) == decoded,
                "decode(encode(\(decoded))) is not the same bytes")
        } catch {
            _ = error.description
        }
        let encoded = ByteEscapes.encode(bytes)
        require((try? ByteEscapes.decode(encoded)) == bytes, "decode(encode(raw input)) is not the input")
    }
}

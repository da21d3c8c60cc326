@testable import FlowCapture

/// A flowtap capture made by hand: the writer's headers, then event records given as JSON text
/// and the TCP packets of synthesized conversations.
struct HandMadeCapture {
    var builder = PcapngBuilder()
    private(set) var packets = 0

    init() {
        builder.sectionHeader(application: "flowtap")
        builder.interface(linkType: PcapngBuilder.linkTypeRaw, name: "flowtap")
        builder.interface(linkType: PcapngBuilder.linkTypeUpperPDU, name: PcapngBuilder.eventInterfaceName)
    }

    var bytes: [UInt8] { builder.bytes }

    /// Appends an event record; returns its packet number and file offset.
    @discardableResult
    mutating func record(_ json: String, at time: UInt64) -> (number: Int, offset: Int) {
        let offset = builder.bytes.count
        Array(json.utf8).withUnsafeBytes {
            builder.packet(
                interface: 1, timestamp: time, header: EventRecord.exportedPDUHeader, payload: $0, flags: nil,
                comment: nil)
        }
        packets += 1
        return (packets, offset)
    }

    /// Appends what `body` writes to the builder (TCP packets), counting its packets.
    mutating func tcp(_ body: (inout PcapngBuilder) -> Void) {
        var out = PcapngBuilder()
        body(&out)
        var offset = 0
        while offset < out.bytes.count {
            offset +=
                Int(out.bytes[offset + 4]) | Int(out.bytes[offset + 5]) << 8 | Int(out.bytes[offset + 6])
                << 16
            packets += 1
        }
        builder.bytes += out.bytes
    }
}

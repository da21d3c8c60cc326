#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Loads a capture back into sessions.
///
/// A flowtap capture (one with the `flowtap-events` interface) gives back exactly the events
/// that were written: events from the event records, `data` rebuilt from the TCP segments (a
/// chunk ends at PSH; offsets counted per direction), with their nanosecond timestamps. A file cut at a block boundary (a crash) reads
/// as far as it goes (a data chunk cut short comes back shorter).
///
/// Other captures — pcapng or classic pcap from tcpdump or Wireshark, with Ethernet (VLAN tags
/// skipped), raw IP, Linux cooked or loopback link types, IPv4 or IPv6 — are read as TCP
/// conversations, numbered from 1 in order of appearance: the SYN's sender is the client (else
/// the receiver of the SYN/ACK, else the side with the higher port); a session starts with
/// `open`; each segment's new bytes are a `data` event (retransmitted bytes are dropped, a gap
/// is a `note`); a FIN is `shutdown` of the sender's direction; an RST is
/// `read_error` "connection reset by peer" of the sender's direction. Foreign sessions have
/// no `close`. Sessions come back ordered by id.
///
/// A file cut in the middle of a block or packet (a full disk, a crash) is read up to the cut,
/// and the cut is reported through `warn`. Reading takes time linear in the file's size.
public enum CaptureReader {
    /// The most bytes read from a file that is not a regular file (a pipe, a FIFO, a socket):
    /// 1 GiB. Devices are refused.
    public static let streamLimit = 1 << 30

    /// Reads the capture at `path`; a file cut short is read up to the cut and `warn` is
    /// called with one line saying so (`s.pcapng: the file ends in the middle of a block at
    /// offset 2552 (324 bytes declared, 248 left); read up to there`).
    ///
    /// - Throws: ``CaptureError`` `.cannotRead` when the file cannot be read (the system's
    ///   reason, `is a directory`, `not a regular file (a character device)`, or `larger than
    ///   1 GiB (not a regular file)` for a pipe that does not end), `.malformed` when it is not
    ///   a capture or is damaged (see ``read(bytes:name:warn:)``).
    public static func read(path: String, warn: (String) -> Void = { _ in }) throws(CaptureError)
        -> [CapturedSession]
    {
        try read(bytes: try load(path), name: path, warn: warn)
    }

    /// Reads a capture from memory; `name` is used in error messages and warnings.
    ///
    /// - Throws: ``CaptureError`` `.malformed`, with a reason such as "neither pcapng nor pcap",
    ///   "truncated block at offset 0" (cut inside its first section header), "bad block
    ///   length 13 at offset 28", "unsupported pcapng version 2.0 at offset 0", or "corrupt
    ///   event payload in packet 7 …".
    public static func read(bytes: [UInt8], name: String, warn: (String) -> Void = { _ in })
        throws(CaptureError) -> [CapturedSession]
    {
        if PcapngParser.recognizes(bytes) {
            var flowtap = FlowtapAssembler()
            var foreign = ForeignAssembler()
            // Whether the packet's section has an event interface, found by looking at each
            // interface once (not at all of them for every packet: a file of many interface
            // blocks would take quadratic time).
            var section = -1
            var seen = 0
            var events = false
            let cut = try PcapngParser(bytes: bytes, name: name).parse {
                packet, interfaces throws(CaptureError) in
                if packet.section != section {
                    (section, seen, events) = (packet.section, 0, false)
                }
                while seen < interfaces.count {
                    events = events || isEventInterface(interfaces[seen])
                    seen += 1
                }
                if !events {
                    if let segment = TCPSegment(linkType: packet.interface.linkType, packet: packet.data) {
                        foreign.segment(segment, timestamp: packet.timestamp)
                    }
                } else if isEventInterface(packet.interface) {
                    try flowtap.event(packet, name: name)
                } else if let segment = TCPSegment(linkType: packet.interface.linkType, packet: packet.data) {
                    flowtap.segment(segment, timestamp: packet.timestamp)
                }
            }
            if let cut { warn("\(name): \(cut)") }
            return merge(flowtap.finish(), foreign.finish())
        }
        if let parser = PcapParser(bytes: bytes, name: name) {
            var foreign = ForeignAssembler()
            let cut = try parser.parse { linkType, timestamp, data in
                if let segment = TCPSegment(linkType: linkType, packet: data) {
                    foreign.segment(segment, timestamp: timestamp)
                }
            }
            if let cut { warn("\(name): \(cut)") }
            return foreign.finish()
        }
        throw .malformed(
            name, bytes.isEmpty ? "neither pcapng nor pcap (it is empty)" : "neither pcapng nor pcap")
    }

    /// flowtap's event interface: named `flowtap-events`, link type 252 (or 147, USER0).
    private static func isEventInterface(_ interface: PcapngParser.Interface) -> Bool {
        interface.name == PcapngBuilder.eventInterfaceName
            && (interface.linkType == PcapngBuilder.linkTypeUpperPDU
                || interface.linkType == PcapngBuilder.linkTypeUser0)
    }

    private static func merge(_ a: [CapturedSession], _ b: [CapturedSession]) -> [CapturedSession] {
        guard !b.isEmpty else { return a }
        guard !a.isEmpty else { return b }
        let offset = (a.map(\.id).max() ?? 0)
        return a
            + b.map { session in
                var session = session
                session.id = session.id + offset
                session.events = session.events.map {
                    var event = $0
                    event.conn = session.id
                    return event
                }
                return session
            }
    }

    /// The file's bytes, read straight into one array: a regular file sized by `fstat`, a pipe,
    /// FIFO or socket grown by doubling up to ``streamLimit``; directories and devices are
    /// refused (`view /dev/zero` must not read forever).
    private static func load(_ path: String) throws(CaptureError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(.cannotRead, path: path, errno: errno) }
        defer { _ = close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .system(.cannotRead, path: path, errno: errno) }
        let type = info.st_mode & S_IFMT
        switch type {
        case S_IFDIR: throw .system(.cannotRead, path: path, errno: EISDIR)
        case S_IFCHR:
            throw CaptureError(.cannotRead, path: path, reason: "not a regular file (a character device)")
        case S_IFBLK:
            throw CaptureError(.cannotRead, path: path, reason: "not a regular file (a block device)")
        default: break
        }
        let regular = type == S_IFREG
        let size = regular ? Int(info.st_size) : 0
        // One spare byte, so that the end of a regular file is seen without growing the array.
        var bytes = [UInt8](repeating: 0, count: max(size + 1, 1 << 16))
        var count = 0
        while true {
            if count == bytes.count {
                guard regular || count < streamLimit else {
                    throw CaptureError(
                        .cannotRead, path: path, reason: "larger than 1 GiB (not a regular file)")
                }
                bytes += [UInt8](
                    repeating: 0, count: regular ? bytes.count : min(bytes.count, streamLimit + 1 - count))
            }
            let n = bytes.withUnsafeMutableBytes {
                posixRead(fd, UnsafeMutableRawBufferPointer(rebasing: $0[count...]))
            }
            if n > 0 {
                count += n
            } else if n == 0 {
                bytes.removeSubrange(count...)
                return bytes
            } else if errno != EINTR {
                throw .system(.cannotRead, path: path, errno: errno)
            }
        }
    }
}

private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
    read(fd, buffer.baseAddress, buffer.count)
}

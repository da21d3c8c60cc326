#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Appends to a capture file with direct I/O (`O_DIRECT`): the bytes go from this process's
/// memory to the disk without the kernel copying them into its page cache.
///
/// Why: with `-w`, flowtap's capture thread spent about two thirds of its time in that copy
/// (`copy_folio_from_iter_atomic`), and on two cores the copy decided how fast a captured
/// session could go (the same run without the `write(2)` went twice as fast).
///
/// Direct I/O writes whole aligned pages at aligned offsets only. The appender keeps the file's
/// last partial page (the *carry*) in an aligned buffer of its own; each append writes the carry
/// and the new bytes, padded to a whole page with a filler block (of a type reserved for local
/// use, which readers skip), at the carry's page, then cuts the file back to its real length
/// (`ftruncate`): between two appends the file ends where its bytes end, on a whole pcapng
/// block, as with buffered writes, and at every moment it is whole blocks.
///
/// Failures: when the file system refuses direct I/O (`fcntl` fails: tmpfs before Linux 6.6,
/// most FUSE file systems, macOS), ``init(descriptor:head:)`` returns `nil` and the caller
/// writes buffered. When a direct write fails (a full disk, a file size limit, an alignment
/// the device does not take), the appender turns direct I/O off and writes the same bytes with
/// a buffered `pwrite(2)`, whose result (how far it got, and its errno) is what
/// ``append(_:_:)`` returns: a failure reads the same as without direct I/O. The file offset is
/// left at the file's end, so the caller goes on with `write(2)`. When the `ftruncate` fails,
/// the append fails with its errno (direct I/O off; the file ends with the filler block).
struct DirectAppender: ~Copyable {
    /// The alignment of the buffer, of the offsets and of the lengths written: a page, which
    /// covers every common logical block size (512 and 4096 bytes).
    static let alignment = 4096

    /// The aligned buffer: the carry at its start, then the bytes being appended.
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    /// The file's bytes from ``start`` on (fewer than ``alignment`` between appends).
    private var carry: Int
    /// The file offset of the buffer's first byte: a multiple of ``alignment``.
    private var start: Int
    /// Direct I/O was turned off after a failed direct write (whether or not the buffered
    /// fallback then succeeded): the caller must write buffered from here on.
    private(set) var isRetired = false

    /// Turns direct I/O on for `fd`, a regular file whose content so far is exactly `head`
    /// (written by `write(2)` from offset 0; the file offset at its end). Returns `nil`, with
    /// the descriptor unchanged, when the file system does not do direct I/O.
    init?(descriptor fd: Int32, head: [UInt8]) {
        guard let direct = Self.directFlag else { return nil }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | direct) == 0 else { return nil }
        capacity = Self.rounded(head.count + (2 << 20))
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: Self.alignment)
        // The head's last partial page is the first carry; whole pages of it are on disk.
        start = head.count / Self.alignment * Self.alignment
        carry = head.count - start
        if carry > 0 {
            head.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress! + start, byteCount: carry) }
        }
    }

    /// Linux's `O_DIRECT`, which Glibc's Swift module does not export (it is a `_GNU_SOURCE`
    /// flag, and its value depends on the architecture); `nil` elsewhere.
    private static var directFlag: Int32? {
        #if os(Linux) && (arch(x86_64) || arch(i386))
            0o40000
        #elseif os(Linux) && (arch(arm64) || arch(arm))
            0o200000
        #else
            nil
        #endif
    }

    deinit {
        buffer.deallocate()
    }

    /// Appends `bytes` at the file's end (see the type's documentation). Returns how many of
    /// `bytes` are now in the file and, when that is not all of them, the errno of the failure.
    /// Once ``isRetired`` (after any failed direct write, even one the buffered fallback made
    /// good) the appender must not be used again: direct I/O is off for `fd`, the file offset is
    /// at the file's end, and the caller writes with `write(2)` from there.
    mutating func append(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> (written: Int, errno: Int32?) {
        let (total, overflow) = carry.addingReportingOverflow(bytes.count)
        guard !overflow, total <= Int.max - Self.alignment else { return (0, EFBIG) }
        var padded = Self.rounded(total)
        // The padding is one filler block, so that the file is whole blocks even before the
        // `ftruncate` below (a crash in between leaves a capture that readers open): a block
        // takes at least 12 bytes, so 4 or 8 bytes of padding become a page more.
        if padded - total > 0 && padded - total < 12 { padded += Self.alignment }
        if padded > capacity { grow(to: padded) }
        if bytes.count > 0 {
            (buffer + carry).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        Self.fill(buffer + total, count: padded - total)

        var done = 0
        while done < padded {
            let n = pwrite(fd, buffer + done, padded - done, off_t(start + done))
            if n > 0 && n % Self.alignment == 0 {
                done += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return buffered(fd, total: total)
            }
        }
        // The padding goes: the file ends where its bytes do. (Should that fail, the file is
        // still whole blocks, ending with the filler; the failure is the caller's to report.)
        if let code = Self.truncate(fd, to: start + total) { return failed(fd, code) }
        let whole = total / Self.alignment * Self.alignment
        carry = total - whole
        if whole > 0 && carry > 0 {
            buffer.copyMemory(from: buffer + whole, byteCount: carry)
        }
        start += whole
        return (bytes.count, nil)
    }

    /// Direct I/O off, and `code` returned as the failure of the whole append.
    private mutating func failed(_ fd: Int32, _ code: Int32) -> (written: Int, errno: Int32?) {
        Self.directOff(fd)
        isRetired = true
        return (0, code)
    }

    /// Sets the length of `fd`'s file, retrying on `EINTR`; returns the errno of a failure.
    private static func truncate(_ fd: Int32, to length: Int) -> Int32? {
        while ftruncate(fd, off_t(length)) != 0 {
            if errno != EINTR { return errno }
        }
        return nil
    }

    /// Turns direct I/O off for `fd`.
    private static func directOff(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0, let direct = directFlag { _ = fcntl(fd, F_SETFL, flags & ~direct) }
    }

    /// The fallback after a failed direct write: direct I/O off (for good: ``isRetired``), the
    /// carry and the new bytes (`total` bytes at the buffer's start) written again with a
    /// buffered `pwrite(2)`, whatever part of the padding the failed write left behind cut off,
    /// and the file offset moved to the end of what was written. Returns how many of the new
    /// bytes are in the file, and the errno when the buffered write failed too.
    private mutating func buffered(_ fd: Int32, total: Int) -> (written: Int, errno: Int32?) {
        Self.directOff(fd)
        isRetired = true
        let (done, writeFailure) = DescriptorOutput.write(
            fd, UnsafeRawBufferPointer(start: buffer, count: total), at: start)
        let failure = writeFailure ?? Self.truncate(fd, to: start + total)
        _ = lseek(fd, off_t(start + done), SEEK_SET)
        return (max(0, done - carry), failure)
    }

    /// A larger aligned buffer holding the carry and what was copied after it.
    private mutating func grow(to size: Int) {
        let newCapacity = Self.rounded(max(size, capacity * 2))
        let memory = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: Self.alignment)
        memory.copyMemory(from: buffer, byteCount: carry)
        buffer.deallocate()
        buffer = memory
        capacity = newCapacity
    }

    /// The block type of the padding: one of the types pcapng reserves for local use, which
    /// readers skip (tshark and ``CaptureReader`` alike).
    static let fillerBlockType: UInt32 = 0x8000_0F11

    /// Writes padding of `count` bytes at `start`: a filler block (little-endian, as the
    /// capture's section), or zeros when `count` cannot hold one.
    static func fill(_ start: UnsafeMutableRawPointer, count: Int) {
        start.initializeMemory(as: UInt8.self, repeating: 0, count: count)
        guard count >= 12, count % 4 == 0, let length = UInt32(exactly: count) else { return }
        start.storeBytes(of: fillerBlockType.littleEndian, toByteOffset: 0, as: UInt32.self)
        start.storeBytes(of: length.littleEndian, toByteOffset: 4, as: UInt32.self)
        start.storeBytes(of: length.littleEndian, toByteOffset: count - 4, as: UInt32.self)
    }

    /// `count` rounded up to a multiple of ``alignment``.
    private static func rounded(_ count: Int) -> Int {
        (count + alignment - 1) / alignment * alignment
    }
}

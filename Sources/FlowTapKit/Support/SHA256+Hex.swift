import Crypto

extension SHA256 {
    /// The SHA-256 digest of `bytes` as 64 lowercase hex digits: how the `edit`, `drop` and
    /// `rewrite` events identify a chunk (`original_sha256`, `sha256`). Hashes the bytes where
    /// they are when the collection is contiguous (an array, a `ByteBufferView`), else a copy.
    public static func hex<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        var hasher = SHA256()
        let hashed: Void? = bytes.withContiguousStorageIfAvailable {
            hasher.update(bufferPointer: UnsafeRawBufferPointer($0))
        }
        if hashed == nil {
            Array(bytes).withUnsafeBytes { hasher.update(bufferPointer: $0) }
        }
        var text = ""
        text.reserveCapacity(64)
        for byte in hasher.finalize() {
            text += byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }
        return text
    }
}

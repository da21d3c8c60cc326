import Crypto
import NIOSSL
import SwiftASN1
import Synchronization
import X509

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// flowtap's local certificate authority: a P-256 key and a self-signed CA certificate kept in a
/// folder (`ca.key`, mode 0600, and `ca.pem`), and the leaf certificates it mints for the names
/// TLS clients ask for, one per name, cached for the life of the value.
///
/// Creating the CA is atomic: under an exclusive `flock` on `DIR/.ca.lock`, the key and the
/// certificate are written to temporary files in the folder and renamed into place, the key
/// first; `ca.pem` present means the pair is whole. Two processes starting at once end with one
/// CA, and a crash never leaves a half-written file under the final names.
public final class CertificateAuthority: Sendable {
    /// The folder holding `ca.pem` and `ca.key`.
    public let directory: String
    /// The path of the CA certificate (`DIR/ca.pem`), what clients are told to trust.
    public var certificatePath: String { directory + "/ca.pem" }
    /// The path of the CA's private key (`DIR/ca.key`, mode 0600).
    public var keyPath: String { directory + "/ca.key" }

    private let certificate: Certificate
    private let key: Certificate.PrivateKey
    /// One key for every leaf of this run: minting a certificate is then one signature.
    private let leafKey: P256.Signing.PrivateKey
    private let leafKeyForTLS: NIOSSLPrivateKey
    private let leaves = Mutex<[String: NIOSSLCertificate]>([:])

    /// The CA's subject common name.
    public static let commonName = "flowtap local CA"

    private init(directory: String, certificate: Certificate, key: P256.Signing.PrivateKey) throws {
        self.directory = directory
        self.certificate = certificate
        self.key = Certificate.PrivateKey(key)
        self.leafKey = P256.Signing.PrivateKey()
        self.leafKeyForTLS = try NIOSSLPrivateKey(bytes: Array(leafKey.derRepresentation), format: .der)
    }

    /// The default folder: `$XDG_DATA_HOME/flowtap` when that variable is set to an absolute
    /// path, else `$HOME/.local/share/flowtap`; nil when neither can be found.
    public static func defaultDirectory(environment: [String: String]) -> String? {
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return data + "/flowtap" }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.local/share/flowtap"
    }

    /// Opens the CA in `directory` (a relative path is taken from the current folder), creating
    /// the folder (mode 0700) and the CA when missing.
    ///
    /// - Returns: the CA, and whether this call created it.
    /// - Throws: ``TLSSetupError`` naming the file and the reason (a folder that cannot be
    ///   made, an unreadable or malformed `ca.pem` or `ca.key`, a key that does not match).
    public static func openOrCreate(
        in directory: String
    ) throws(TLSSetupError) -> (authority: CertificateAuthority, created: Bool) {
        // Absolute, so that the printed paths work from anywhere (`curl --cacert "$(flowtap ca)"`).
        var directory = directory
        if !directory.hasPrefix("/") {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            if getcwd(&buffer, buffer.count) != nil {
                let cwd = String(
                    decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                directory =
                    cwd + "/" + (directory.hasPrefix("./") ? String(directory.dropFirst(2)) : directory)
            }
        }
        try makeDirectories(directory)
        let lockPath = directory + "/.ca.lock"
        let lock = open(lockPath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw TLSSetupError(file: lockPath, problem: ErrorText.reason(errno: errno)) }
        defer { _ = systemClose(lock) }
        guard flock(lock, LOCK_EX) == 0 else {
            throw TLSSetupError(file: lockPath, problem: ErrorText.reason(errno: errno))
        }
        defer { _ = flock(lock, LOCK_UN) }
        let pem = directory + "/ca.pem"
        let keyFile = directory + "/ca.key"
        if access(pem, F_OK) == 0 {
            return (try load(directory: directory, pem: pem, keyFile: keyFile), false)
        }
        let key = P256.Signing.PrivateKey()
        let certificate: Certificate
        let pemText: String
        do {
            certificate = try makeCertificate(key: key)
            pemText = try certificate.serializeAsPEM().pemString
        } catch {
            throw TLSSetupError(file: pem, problem: "cannot make the CA certificate: \(error)")
        }
        try writeAtomically(key.pemRepresentation + "\n", to: keyFile, mode: 0o600)
        try writeAtomically(pemText + "\n", to: pem, mode: 0o644)
        do {
            return (try CertificateAuthority(directory: directory, certificate: certificate, key: key), true)
        } catch {
            throw TLSSetupError(file: pem, problem: "\(error)")
        }
    }

    private static func load(directory: String, pem: String, keyFile: String) throws(TLSSetupError)
        -> CertificateAuthority
    {
        let pemText = try readText(pem)
        let keyText = try readText(keyFile)
        let certificate: Certificate
        do { certificate = try Certificate(pemEncoded: pemText) } catch {
            throw TLSSetupError(file: pem, problem: "not a PEM certificate (\(error))")
        }
        let key: P256.Signing.PrivateKey
        do { key = try P256.Signing.PrivateKey(pemRepresentation: keyText) } catch {
            throw TLSSetupError(file: keyFile, problem: "not a PEM P-256 private key (\(error))")
        }
        guard Certificate.PublicKey(key.publicKey) == certificate.publicKey else {
            throw TLSSetupError(file: keyFile, problem: "does not match the certificate in \(pem)")
        }
        do {
            return try CertificateAuthority(directory: directory, certificate: certificate, key: key)
        } catch {
            throw TLSSetupError(file: keyFile, problem: "\(error)")
        }
    }

    private static func makeCertificate(key: P256.Signing.PrivateKey) throws -> Certificate {
        let name = try DistinguishedName {
            OrganizationName("flowtap")
            CommonName(commonName)
        }
        let publicKey = Certificate.PublicKey(key.publicKey)
        let now = Date()
        return try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(10 * 365 * 24 * 3600),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
    }

    /// The certificate chain (leaf, then the CA) and key to serve for `name` (a DNS name or an
    /// IP address), minted on first use and cached.
    ///
    /// - Throws: ``TLSSetupError`` when the certificate cannot be made (a name that is not
    ///   valid in a certificate).
    public func leaf(for name: String) throws(TLSSetupError) -> (
        chain: [NIOSSLCertificate], key: NIOSSLPrivateKey
    ) {
        if let cached = leaves.withLock({ $0[name] }) { return ([cached], leafKeyForTLS) }
        let minted: NIOSSLCertificate
        do {
            let publicKey = Certificate.PublicKey(leafKey.publicKey)
            let now = Date()
            let alternative: GeneralName =
                if let ip = Self.ipBytes(name) { .ipAddress(ASN1OctetString(contentBytes: ip[...])) } else {
                    .dnsName(name)
                }
            let issuerKeyID = SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
            let leaf = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-3600),
                notValidAfter: now.addingTimeInterval(30 * 24 * 3600),
                issuer: certificate.subject,
                subject: try DistinguishedName { CommonName(String(name.prefix(64))) },
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectAlternativeNames([alternative])
                    AuthorityKeyIdentifier(keyIdentifier: issuerKeyID)
                },
                issuerPrivateKey: key)
            var serializer = DER.Serializer()
            try serializer.serialize(leaf)
            minted = try NIOSSLCertificate(bytes: serializer.serializedBytes, format: .der)
        } catch {
            throw TLSSetupError(
                file: certificatePath, problem: "cannot mint a certificate for \"\(name)\": \(error)")
        }
        let kept = leaves.withLock { leaves in
            if let earlier = leaves[name] { return earlier }
            leaves[name] = minted
            return minted
        }
        return ([kept], leafKeyForTLS)
    }

    /// The 4 or 16 bytes of an IP address literal, or nil for a name.
    static func ipBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    // MARK: Files

    private static func makeDirectories(_ path: String) throws(TLSSetupError) {
        var built = ""
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            built += (built.isEmpty && !path.hasPrefix("/") ? "" : "/") + part
            if mkdir(built, 0o700) != 0 && errno != EEXIST {
                throw TLSSetupError(
                    file: built, problem: "cannot make the folder: \(ErrorText.reason(errno: errno))")
            }
        }
    }

    /// Writes `text` to a new temporary file in the same folder (mode `mode`, never following a
    /// link), syncs it, and renames it to `path`.
    private static func writeAtomically(_ text: String, to path: String, mode: mode_t) throws(TLSSetupError) {
        let temporary = "\(path).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw TLSSetupError(file: temporary, problem: ErrorText.reason(errno: errno)) }
        let bytes = Array(text.utf8)
        var written = 0
        var failure: Int32 = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                systemWrite(fd, raw.baseAddress! + written, bytes.count - written)
            }
            if count < 0 {
                if errno == EINTR { continue }
                failure = errno
                break
            }
            written += count
        }
        if failure == 0 && fchmod(fd, mode) != 0 { failure = errno }
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        _ = systemClose(fd)
        if failure == 0 && rename(temporary, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw TLSSetupError(file: path, problem: "cannot write: \(ErrorText.reason(errno: failure))")
        }
    }

    /// The text of a file of at most 1 MiB, read without following a link.
    static func readText(_ path: String) throws(TLSSetupError) -> String {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw TLSSetupError(file: path, problem: ErrorText.reason(errno: errno)) }
        defer { _ = systemClose(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        let limit = 1 << 20
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw TLSSetupError(file: path, problem: ErrorText.reason(errno: errno))
            }
            if count == 0 { break }
            bytes += chunk[..<count]
            if bytes.count > limit { throw TLSSetupError(file: path, problem: "larger than 1 MiB") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

#if canImport(Glibc)
    private let systemClose = Glibc.close
    private let systemWrite = Glibc.write
    private let systemRead = Glibc.read
#elseif canImport(Darwin)
    private let systemClose = Darwin.close
    private let systemWrite = Darwin.write
    private let systemRead = Darwin.read
#endif

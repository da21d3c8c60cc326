import NIOSSL
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Everything `tls:` and `tls-listen:` connections share for a run: the upstream trust
/// settings, the certificate served to clients (minted by a ``CertificateAuthority`` or given),
/// the key log, and the NIOSSL contexts made from them (cached, one per ALPN list or name).
public final class TLSEnvironment: Sendable {
    /// The settings, as the command line gives them.
    public struct Options: Sendable, Equatable {
        /// `--ca-dir`: the CA's folder; nil for ``CertificateAuthority/defaultDirectory(environment:)``.
        public var caDirectory: String?
        /// `--cert`: a PEM certificate (chain) to serve to every client instead of minted ones.
        public var certificateFile: String?
        /// `--key`: the PEM private key of `certificateFile`.
        public var keyFile: String?
        /// `--tls-ca`: a PEM file of extra trust anchors for `tls:` targets.
        public var trustFile: String?
        /// `--insecure`: do not verify `tls:` targets (reported as `verified: false`).
        public var insecure = false
        /// `--keylog` (else `SSLKEYLOGFILE`): where NSS key log lines are appended.
        public var keyLogFile: String?
        /// Default settings: system trust, verification on, minted certificates, no key log.
        public init() {}
    }

    /// The settings this environment was made from.
    public let options: Options
    /// The CA minting client-facing certificates; nil with `--cert`/`--key` or when no
    /// `tls-listen:` address is used.
    public let authority: CertificateAuthority?
    private let served: (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)?
    private let trustAnchors: [NIOSSLCertificate]
    private let keyLog: KeyLogFile?
    private let clientContexts = Mutex<[[String]: NIOSSLContext]>([:])
    private let serverContexts = Mutex<[String: NIOSSLContext]>([:])

    /// Loads what `options` name: the CA (created when missing) if `servesClients` and no
    /// `--cert` is given, the served certificate and key, the trust file, the key log.
    ///
    /// - Parameter environment: the process environment, for the CA's default folder.
    /// - Throws: ``TLSSetupError`` naming the file that cannot be used and why.
    public init(
        options: Options, servesClients: Bool, environment: [String: String]
    ) throws(TLSSetupError) {
        self.options = options
        if let file = options.trustFile {
            do { trustAnchors = try NIOSSLCertificate.fromPEMFile(file) } catch {
                throw TLSSetupError(file: file, problem: "not a readable PEM certificate file (\(error))")
            }
            if trustAnchors.isEmpty { throw TLSSetupError(file: file, problem: "holds no certificate") }
        } else {
            trustAnchors = []
        }
        switch (options.certificateFile, options.keyFile) {
        case (let cert?, let key?):
            let chain: [NIOSSLCertificate]
            do { chain = try NIOSSLCertificate.fromPEMFile(cert) } catch {
                throw TLSSetupError(file: cert, problem: "not a readable PEM certificate file (\(error))")
            }
            if chain.isEmpty { throw TLSSetupError(file: cert, problem: "holds no certificate") }
            let privateKey: NIOSSLPrivateKey
            do { privateKey = try NIOSSLPrivateKey(file: key, format: .pem) } catch {
                throw TLSSetupError(file: key, problem: "not a readable PEM private key (\(error))")
            }
            served = (chain, privateKey)
            authority = nil
        case (nil, nil):
            served = nil
            if servesClients {
                guard
                    let directory = options.caDirectory
                        ?? CertificateAuthority.defaultDirectory(environment: environment)
                else {
                    throw TLSSetupError(
                        file: "--ca-dir", problem: "no folder for the CA: set HOME or pass --ca-dir DIR")
                }
                authority = try CertificateAuthority.openOrCreate(in: directory).authority
            } else {
                authority = nil
            }
        default:
            throw TLSSetupError(
                file: options.certificateFile ?? options.keyFile ?? "",
                problem: "--cert and --key go together")
        }
        keyLog = try options.keyLogFile.map { path throws(TLSSetupError) in try KeyLogFile(path: path) }
    }

    /// The context for connecting to a server with ALPN list `protocols` (cached per list).
    func clientContext(protocols: [String]) throws(TLSHandshakeError) -> NIOSSLContext {
        if let cached = clientContexts.withLock({ $0[protocols] }) { return cached }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.applicationProtocols = protocols
        if options.insecure { configuration.certificateVerification = .none }
        if !trustAnchors.isEmpty { configuration.additionalTrustRoots = [.certificates(trustAnchors)] }
        if let keyLog { configuration.keyLogCallback = { keyLog.append($0) } }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: configuration) } catch {
            throw TLSHandshakeError("cannot set up TLS: \(error)")
        }
        clientContexts.withLock { $0[protocols] = context }
        return context
    }

    /// The context for answering a client that asked for `name`, offering `protocols` (the
    /// server's choice, when flowtap connected to a TLS server first).
    func serverContext(name: String, protocols: [String]) throws(TLSHandshakeError) -> NIOSSLContext {
        let key = ([name] + protocols).joined(separator: "\u{0}")
        if let cached = serverContexts.withLock({ $0[key] }) { return cached }
        let chain: [NIOSSLCertificate]
        let privateKey: NIOSSLPrivateKey
        if let served {
            (chain, privateKey) = served
        } else if let authority {
            do throws(TLSSetupError) { (chain, privateKey) = try authority.leaf(for: name) } catch {
                throw TLSHandshakeError(error.description)
            }
        } else {
            throw TLSHandshakeError("no certificate to serve: flowtap's CA was not set up")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        configuration.applicationProtocols = protocols
        if let keyLog { configuration.keyLogCallback = { keyLog.append($0) } }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: configuration) } catch {
            throw TLSHandshakeError("cannot set up TLS: \(error)")
        }
        serverContexts.withLock { $0[key] = context }
        return context
    }

    /// The environment `Connector.connect` uses for a `tls:` address when none is given:
    /// system trust, verification on, `SSLKEYLOGFILE` if set (and openable).
    static let standard: TLSEnvironment = {
        var options = Options()
        options.keyLogFile = TLSEnvironment.processEnvironment()["SSLKEYLOGFILE"]
        if let made = try? TLSEnvironment(options: options, servesClients: false, environment: [:]) {
            return made
        }
        options.keyLogFile = nil
        return try! TLSEnvironment(options: options, servesClients: false, environment: [:])
    }()

    /// The process's environment variables.
    public static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}

import NIOCore

extension Address {
    /// Resolves the host of a `tcp-listen:` (or `tls-listen:`) address now, as ``Listener/bind(_:)`` will (the
    /// system's first answer is the one listened on), so that a name that does not resolve is
    /// a bad address at start rather than a failure to listen. IP literals and Unix addresses
    /// are accepted as they are, and connect addresses are not resolved: a target's name is
    /// resolved at each connect.
    ///
    /// - Throws: ``AddressError`` quoting the address, e.g.
    ///   `bad address "tcp-listen:nonexistent.invalid:80": cannot resolve host "nonexistent.invalid" (name or service not known)`.
    public func resolveListenHost() throws(AddressError) {
        guard let (host, port) = tcpListenHostPort else { return }
        do {
            _ = try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch let error as SocketAddressError.UnknownHost {
            throw AddressError(
                input: description,
                problem: "cannot resolve host \"\(host)\" (\(error.errorDescription.lowercased()))")
        } catch {
            throw AddressError(input: description, problem: "cannot resolve host \"\(host)\"")
        }
    }
}

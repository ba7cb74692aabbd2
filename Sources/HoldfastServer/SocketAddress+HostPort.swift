import NIOCore
import NetAddress

#if canImport(Glibc)
import Glibc
#endif

extension SocketAddress {
    /// The socket address of a validated `HostPort`, built from its bytes: no second parse of
    /// the address text, and nothing that can fail.
    public init(_ hostPort: HostPort) {
        let bytes = hostPort.addressBytes
        switch hostPort.family {
        case .v4:
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = hostPort.port.bigEndian
            withUnsafeMutableBytes(of: &address.sin_addr) { raw in
                for index in 0..<4 { raw[index] = bytes[index] }
            }
            self.init(address, host: "")
        case .v6:
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = hostPort.port.bigEndian
            withUnsafeMutableBytes(of: &address.sin6_addr) { raw in
                for index in 0..<16 { raw[index] = bytes[index] }
            }
            self.init(address, host: "")
        }
    }
}

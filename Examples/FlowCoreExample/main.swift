// The README's FlowCore example: two in-memory pipes joined by `proxy`, half-close passed on.
import FlowCore
import NIOCore

let (client, proxyClientSide) = Pipe.pair()
let (proxyServerSide, server) = Pipe.pair()

// The proxy runs until both directions have ended.
let running = Task { try await proxy(proxyClientSide, proxyServerSide) }

try await client.write(ByteBuffer(string: "PING\r\n"))
await client.shutdownWrite()  // FIN: the server reads the request, then end-of-file

var request = ""
while case .data(let chunk) = try await server.read() { request += String(buffer: chunk) }
try await server.write(ByteBuffer(string: "+PONG\r\n"))  // still possible after the client's FIN
await server.shutdownWrite()

var reply = ""
while case .data(let chunk) = try await client.read() { reply += String(buffer: chunk) }

let (up, down) = try await running.value
print("server read \(request.debugDescription), client read \(reply.debugDescription)")
print("client → server: \(up)")
print("server → client: \(down)")

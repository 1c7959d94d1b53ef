import Hummingbird

extension SweepMetrics {
    /// Serves `GET /metrics` in the Prometheus text format (version 0.0.4) on `host`:`port`.
    public func serve(host: String, port: Int) throws -> BackgroundServer {
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: self.exposition())))
        }
        return try BackgroundServer.start(router, host: host, port: port)
    }
}

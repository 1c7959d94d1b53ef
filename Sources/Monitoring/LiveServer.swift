import Foundation
import Hummingbird
import Reporting
import Synchronization

/// `sweep serve`: the sweeps of some results folders as web pages that follow them live.
///
/// Routes: `/` lists the sweeps; `/sweeps/NAME` is a sweep's page (its report, plus a few lines of
/// script); `/sweeps/NAME/content` is the page's body as it is now; `/sweeps/NAME/events` is a
/// Server-Sent Events stream that says `change` whenever the folder's CSVs or `coordinator.json`
/// change (checked twice a second), on which the page fetches its body again and swaps it in. It only
/// reads what the coordinator writes, so it never slows or blocks one, and a finished sweep's page is
/// its report. With a token, every request (the event stream too) must carry it as `?token=` or as
/// `Authorization: Bearer`; without it, 401.
public struct LiveServer: Sendable {
    /// The sweeps shown.
    public let site: SweepSite
    /// The token every request must carry (nil: none asked).
    public let token: String?
    /// Each sweep's report as last rendered, and the folder's signature then.
    let cache = ReportCache()

    /// What a token keeps unescaped in a URL (RFC 3986's unreserved characters).
    public static let tokenCharacters = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// How often an open event stream looks at its folder.
    public static let pollInterval: Duration = .milliseconds(500)

    /// A server of `site`'s sweeps.
    public init(site: SweepSite, token: String?) {
        self.site = site
        self.token = token
    }

    /// Starts listening on `host`:`port` (0: a free port), and renders each sweep's report in the
    /// background so that the first pages open whole.
    public func start(host: String, port: Int) throws -> BackgroundServer {
        let server = try BackgroundServer.start(router(), host: host, port: port)
        let (site, cache) = (site, cache)
        // One after another, each on its own thread (`ReportCache`): not all at once on a small machine.
        Task.detached { for sweep in site.sweeps { _ = await cache.report(sweep.path) } }
        return server
    }

    /// The routes.
    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/") { request, _ -> Response in
            guard self.authorized(request) else { return Self.unauthorized }
            return Self.html(self.index(query: self.query))
        }
        router.get("sweeps/:name") { request, context -> Response in
            guard self.authorized(request) else { return Self.unauthorized }
            guard let sweep = context.parameters.get("name").flatMap(self.site.sweep(named:)) else { return Self.notFound }
            // The report if it is ready; else at once a page with its heading and count, which fetches
            // the report as soon as it is there (a 20,000-trial report takes a second or two to make).
            if let ready = self.cache.fresh(sweep.path) {
                return Self.html(LivePage.page(ofReport: ready.report, signature: ready.signature.text))
            }
            return Self.html(LivePage.shell(name: sweep.name, recorded: Self.recorded(sweep.path)))
        }
        router.get("sweeps/:name/content") { request, context -> Response in
            guard self.authorized(request) else { return Self.unauthorized }
            guard let sweep = context.parameters.get("name").flatMap(self.site.sweep(named:)) else { return Self.notFound }
            let now = await self.cache.report(sweep.path)
            var response = Self.html(LivePage.body(ofReport: now.report))
            // The body's version: the folder's signature when it was made.
            response.headers[.eTag] = "\"" + now.signature.text + "\""
            return response
        }
        router.get("sweeps/:name/events") { request, context -> Response in
            guard self.authorized(request) else { return Self.unauthorized }
            guard let sweep = context.parameters.get("name").flatMap(self.site.sweep(named:)) else { return Self.notFound }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                            body: ResponseBody { writer in
                                try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                                var last: FolderSignature?
                                var quiet = 0
                                while !Task.isCancelled {
                                    let now = FolderSignature(sweep.path)
                                    if now != last {
                                        last = now
                                        quiet = 0
                                        try await writer.write(ByteBuffer(string: "event: change\ndata: \(now.text)\n\n"))
                                    } else {
                                        quiet += 1
                                        // A comment now and then: proxies keep the stream, and a closed page is noticed.
                                        if quiet % 30 == 0 { try await writer.write(ByteBuffer(string: ": still here\n\n")) }
                                    }
                                    try await Task.sleep(for: Self.pollInterval)
                                }
                                try await writer.finish(nil)
                            })
        }
        return router
    }

    /// The query string links carry (the token, when there is one).
    var query: String {
        token.map { "?token=" + ($0.addingPercentEncoding(withAllowedCharacters: LiveServer.tokenCharacters) ?? $0) } ?? ""
    }

    /// Whether `request` carries the token (always, when there is none).
    func authorized(_ request: Request) -> Bool {
        guard let token else { return true }
        if let given = request.uri.queryParameters.get("token"), Self.same(given, token) { return true }
        if let header = request.headers[.authorization], header.hasPrefix("Bearer "), Self.same(String(header.dropFirst(7)), token) {
            return true
        }
        return false
    }

    /// Compares in time that does not depend on where the first difference is.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for index in 0..<max(x.count, y.count) {
            difference |= (index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0)
        }
        return difference == 0
    }

    /// The report of `path` now (one line saying why, when it cannot be read).
    static func report(_ path: String) -> String {
        do {
            return Report(data: try ReportData(directory: path)).render()
        } catch {
            return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>sweep</title></head><body>"
                + "<p>\(LivePage.escape("\(path) cannot be read yet: \(error)"))</p></body></html>"
        }
    }

    /// The list of sweeps.
    func index(query: String) -> String {
        let rows = site.sweeps.map { sweep -> String in
            let folder = sweep.path
            let rows = Self.recorded(folder)
            let running = FileManager.default.fileExists(atPath: folder + "/coordinator.json")
            return "<li><a href=\"sweeps/\(LivePage.escape(sweep.name))\(query)\">\(LivePage.escape(sweep.name))</a> "
                + "<span class=\"note\">\(rows) trials recorded\(running ? ", running" : "") · \(LivePage.escape(folder))</span></li>"
        }
        let list = rows.isEmpty ? "<p>No sweeps in \(LivePage.escape(site.roots.joined(separator: ", "))) yet.</p>"
            : "<ul class=\"sweeps\">\(rows.joined())</ul>"
        return "<!DOCTYPE html><html><head><meta charset=\"utf-8\">\(LivePage.viewport)<title>sweeps</title>"
            + "<style>\(Report.css)</style></head><body><h1>Sweeps</h1>\(list)</body></html>"
    }

    /// Rows in the folder's `trials.csv`, counted, not read.
    static func recorded(_ folder: String) -> Int {
        guard let data = FileManager.default.contents(atPath: folder + "/trials.csv") else { return 0 }
        return max(data.reduce(0) { $0 + ($1 == 10 ? 1 : 0) } - 1, 0)
    }

    static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static let unauthorized = Response(status: .unauthorized, headers: [.contentType: "text/plain; charset=utf-8", .wwwAuthenticate: "Bearer"],
                                       body: ResponseBody(byteBuffer: ByteBuffer(string: "401: this server needs its token; open the URL sweep serve printed\n")))
    static let notFound = Response(status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"],
                                   body: ResponseBody(byteBuffer: ByteBuffer(string: "404: no such sweep here\n")))
}

/// Reports rendered, by folder, with the folder's signature when each was begun: one is rendered
/// again only once the folder has changed, however many pages ask. Everyone who asks while a render
/// is under way that will show the folder as it is waits for that render; one who asks after the
/// folder changed again waits for the next, begun once the current one is done (one render a folder
/// at a time). A render runs on a thread of its own, never on the cooperative threads the requests'
/// tasks share: a 20,000-trial report takes a second or two.
final class ReportCache: Sendable {
    typealias Rendered = (signature: FolderSignature, report: String)

    /// One folder: its last report, the render under way and who waits for it, and who waits for the next.
    private struct Folder {
        var done: Rendered?
        var running: FolderSignature?
        var waiting: [CheckedContinuation<Rendered, Never>] = []
        var next: [CheckedContinuation<Rendered, Never>] = []
    }

    private let folders = Mutex<[String: Folder]>([:])
    /// Makes a folder's report (`LiveServer.report`; a test counts).
    private let render: @Sendable (String) -> String

    init(render: @escaping @Sendable (String) -> String = LiveServer.report) {
        self.render = render
    }

    /// The report of `path` if the folder has not changed since it was rendered, and its signature.
    func fresh(_ path: String) -> Rendered? {
        let now = FolderSignature(path)
        return folders.withLock { $0[path]?.done }.flatMap { $0.signature == now ? $0 : nil }
    }

    /// The report of `path` as the folder is now (the cached one, the one being made, or a new one),
    /// and the folder's signature when it was begun.
    func report(_ path: String) async -> Rendered {
        let now = FolderSignature(path)
        if let done = folders.withLock({ $0[path]?.done }), done.signature == now { return done }
        return await withCheckedContinuation { continuation in
            enum Step { case ready(Rendered), wait, begin }
            let step = folders.withLock { all -> Step in
                var folder = all[path] ?? Folder()
                defer { all[path] = folder }
                if let done = folder.done, done.signature == now { return .ready(done) }
                if folder.running == now {
                    folder.waiting.append(continuation)
                    return .wait
                }
                if folder.running != nil {
                    folder.next.append(continuation)
                    return .wait
                }
                folder.running = now
                folder.waiting = [continuation]
                return .begin
            }
            switch step {
            case .ready(let done): continuation.resume(returning: done)
            case .wait: break
            case .begin: begin(path, now)
            }
        }
    }

    /// How many wait for `path`'s report (the render under way and the next), for tests.
    func waiting(_ path: String) -> Int { folders.withLock { $0[path].map { $0.waiting.count + $0.next.count } ?? 0 } }

    /// Renders `path` (as it was at `signature`) on a new thread, hands the report to those waiting
    /// for it, then begins the next render if anyone waits for one.
    private func begin(_ path: String, _ signature: FolderSignature) {
        let thread = Thread { [self] in
            let rendered = (signature: signature, report: render(path))
            let (waiting, next) = folders.withLock { all -> ([CheckedContinuation<Rendered, Never>], FolderSignature?) in
                var folder = all[path] ?? Folder()
                defer { all[path] = folder }
                let waiting = folder.waiting
                folder.done = rendered
                folder.running = nil
                folder.waiting = []
                guard !folder.next.isEmpty else { return (waiting, nil) }
                // Those who asked during this render asked after the folder changed: a render begun now
                // shows it (unless the folder is as this render saw it after all).
                let now = FolderSignature(path)
                if now == signature {
                    defer { folder.next = [] }
                    return (waiting + folder.next, nil)
                }
                folder.running = now
                folder.waiting = folder.next
                folder.next = []
                return (waiting, now)
            }
            for continuation in waiting { continuation.resume(returning: rendered) }
            if let next { begin(path, next) }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

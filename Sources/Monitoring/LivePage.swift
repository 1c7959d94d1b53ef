import Reporting

/// A report made live: the same HTML `sweep report` writes, with a viewport for phones and a few
/// lines of inline script (nothing fetched from elsewhere) that listen to the sweep's event stream
/// and swap in the body anew on each change, without a reload (keeping ticked boxes, and the trial
/// table's sort, filter and page).
enum LivePage {
    /// Fits the page to a phone's width.
    static let viewport = "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"

    /// The script. It marks the page for readers and tests: `data-loads` on <html> counts loads of
    /// this tab (a reload would make it 2), `data-updates` on <body> the bodies swapped in,
    /// `data-live` whether the stream is open, `data-first-update` when the first body came (ms).
    static let script = """
        <script>
        (function () {
          var token = new URLSearchParams(location.search).get("token");
          var query = token ? "?token=" + encodeURIComponent(token) : "";
          var base = location.pathname.replace(/\\/$/, "");
          var loads = (Number(sessionStorage.getItem("sweep-loads") || "0") + 1);
          sessionStorage.setItem("sweep-loads", String(loads));
          document.documentElement.setAttribute("data-loads", String(loads));
          // The folder's signature the body shows: a change event that carries the same one is old news
          // (the stream says where the folder is as soon as it opens).
          var meta = document.querySelector("meta[name=sweep-signature]");
          var current = meta ? meta.getAttribute("content") : "";
          var updates = 0, busy = false, again = false;
          function refresh() {
            if (busy) { again = true; return; }
            busy = true;
            fetch(base + "/content" + query, {cache: "no-store"})
              .then(function (r) {
                if (!r.ok) { throw new Error(String(r.status)); }
                current = (r.headers.get("etag") || "").replace(/"/g, "");  // the folder's signature, as of this body
                return r.text();
              })
              .then(function (html) {
                var ticked = Array.prototype.map.call(document.querySelectorAll("input[type=checkbox][id]:checked"),
                                                      function (box) { return box.id; });
                document.body.innerHTML = html;
                ticked.forEach(function (id) { var box = document.getElementById(id); if (box) { box.checked = true; } });
                if (window.sweepTable) { window.sweepTable.init(); }
                updates += 1;
                document.body.setAttribute("data-updates", String(updates));
                if (!document.documentElement.hasAttribute("data-first-update")) {
                  document.documentElement.setAttribute("data-first-update", String(Math.round(performance.now())));
                }
              })
              .catch(function () {})
              .then(function () { busy = false; if (again) { again = false; refresh(); } });
          }
          var source = new EventSource(base + "/events" + query);
          source.onopen = function () { document.documentElement.setAttribute("data-live", "open"); };
          source.onerror = function () { document.documentElement.setAttribute("data-live", "retrying"); };
          source.addEventListener("change", function (event) { if (event.data !== current) { refresh(); } });
          document.addEventListener("DOMContentLoaded", function () {
            if (!document.querySelector("h2")) { refresh(); }  // a page sent before its report was ready
          });
        })();
        </script>
        """

    /// `report` (a whole document, which fits phones already) with the folder's signature when it was
    /// made and the script in its head.
    static func page(ofReport report: String, signature: String) -> String {
        guard let head = report.range(of: "</head>") else { return report }
        return report.replacingCharacters(in: head, with: "<meta name=\"sweep-signature\" content=\"\(escape(signature))\">" + script + "</head>")
    }

    /// A page to show while the report is being made: its heading and count, the live script (which
    /// fetches the report's body at once), the report's styles and the table's script.
    static func shell(name: String, recorded: Int) -> String {
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">\(viewport)<title>sweep report: \(escape(name))</title>"
            + "<style>\(Report.css)</style>\(Report.tableScript)\(script)</head><body><h1>Sweep \(escape(name))</h1>"
            + "<p class=\"facts\">\(recorded) trials recorded · reading them…</p></body></html>"
    }

    /// What is inside `report`'s <body>.
    static func body(ofReport report: String) -> String {
        guard let open = report.range(of: "<body"), let start = report[open.upperBound...].firstIndex(of: ">"),
              let close = report.range(of: "</body>", options: .backwards) else { return report }
        return String(report[report.index(after: start)..<close.lowerBound])
    }

    /// Text made safe inside HTML (the report's own escaping).
    static func escape(_ text: String) -> String { Markup.escape(text) }
}

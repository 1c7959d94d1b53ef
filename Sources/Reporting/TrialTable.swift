import Foundation
import Plot
import Sweeping
import SweepCore

/// Every trial in one table that sorts (click a heading), filters (by status, by text, or by a
/// column: `learning_rate<0.01`, `augment=flip`, `worker:w1`) and pages (`tablePage` rows a page),
/// in the report and on the live page alike. The rows travel as gzipped JSON inside the page
/// (`Gzip`), best first, and `tableScript` draws them; about 25 bytes a trial, so 20,000 trials
/// stay near half a megabyte. The rest of the page needs no script.
extension Report {
    /// Rows a page shows.
    static let tablePage = 50

    /// What the page's script reads.
    struct TableData {
        var columns: [String]
        /// Whether a column sorts and compares as numbers.
        var numeric: [Bool]
        var rows: [[String]]
        /// The column the page sorts by at first, and whether from the largest.
        var sort: Int
        var descending: Bool

        /// As JSON, column by column (`{"columns":…,"numeric":…,"values":[[column 0's cells],…]}`):
        /// like values side by side compress about a fifth better than rows do.
        var json: String {
            func quoted(_ text: String) -> String {
                var out = "\""
                for scalar in text.unicodeScalars {
                    switch scalar {
                    case "\"": out += "\\\""
                    case "\\": out += "\\\\"
                    case "<": out += "\\u003c"  // never "</script>" inside the page
                    default:
                        if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
                    }
                }
                return out + "\""
            }
            let values = columns.indices.map { c -> String in
                // Ids of one width (16 hex digits) as one string: the quotes and commas between them cost
                // a tenth of the table.
                let cells = rows.map { $0[c] }
                if let width = cells.first?.utf8.count, width >= 8,
                   cells.allSatisfy({ $0.utf8.count == width && $0.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 122) } }) {
                    return "{\"width\":\(width),\"text\":\"" + cells.joined() + "\"}"
                }
                return "[" + cells.map(quoted).joined(separator: ",") + "]"
            }
            return "{\"sort\":\(sort),\"descending\":\(descending),\"columns\":[" + columns.map(quoted).joined(separator: ",") + "],\"numeric\":["
                + numeric.map { $0 ? "true" : "false" }.joined(separator: ",") + "],\"values\":[" + values.joined(separator: ",") + "]}"
        }
    }

    /// The table's columns and rows, best first (sorted columns compress better than sweep order);
    /// the page shows them sorted by the ranking metric (`sort`), which keeps that order.
    func tableData(_ context: Context) -> TableData {
        let parameters = ranking.varyingParameters
        let metrics = data.objectives.metrics.map(\.name)
        let constrained = !data.objectives.constraints.isEmpty
        var columns = ["#", "trial", "status"] + (constrained ? ["feasible"] : []) + parameters + metrics
        columns += ["epochs", "seconds", "attempts", "worker"]
        let rows = context.bestFirst.map { i -> [String] in
            let record = data.records[i]
            var row = [record.number.map(String.init) ?? "", record.id, record.status.rawValue]
            if constrained { row.append(record.feasible.map { $0 ? "yes" : "no" } ?? "") }
            row += parameters.map { DisplayNumber.value(context.fields[i][context.column[$0]!]) }
            row += metrics.map { name in record.metric(name).map { $0.isFinite ? DisplayNumber.number($0) : "\($0)" } ?? "" }
            row += ["\(record.epochsRun)", record.seconds.isFinite ? DisplayNumber.number(record.seconds, digits: 3) : "",
                    "\(record.attempts)", record.worker]
            return row
        }
        // As the script reads them: a column of numbers holds decimal numbers, and may hold blanks and
        // nan or inf (sorted last, as blanks are); the trial ids are text even when all digits.
        let numeric = columns.indices.map { c in
            c != 1 && rows.contains { Report.isDecimal($0[c]) }
                && rows.allSatisfy { $0[c].isEmpty || Report.isDecimal($0[c]) || Double($0[c])?.isFinite == false }
        }
        return TableData(columns: columns, numeric: numeric, rows: rows, sort: columns.firstIndex(of: data.metric.name) ?? 0,
                         descending: !data.metric.minimize)
    }

    /// Whether `text` is a decimal number (`-1.5`, `.5`, `2e-05`), which Swift's `Double` and the
    /// script's `parseFloat` read alike, whole; not hex (`0x10`, which parseFloat reads as 0), nor nan or inf.
    static func isDecimal(_ text: String) -> Bool {
        var bytes = text.utf8[...]
        func digits() -> Int {
            let count = bytes.prefix { $0 >= 0x30 && $0 <= 0x39 }.count
            bytes = bytes.dropFirst(count)
            return count
        }
        if bytes.first == 0x2B || bytes.first == 0x2D { bytes = bytes.dropFirst() }  // + or -
        var mantissa = digits()
        if bytes.first == 0x2E {  // .
            bytes = bytes.dropFirst()
            mantissa += digits()
        }
        guard mantissa > 0 else { return false }
        if bytes.first == 0x65 || bytes.first == 0x45 {  // e or E
            bytes = bytes.dropFirst()
            if bytes.first == 0x2B || bytes.first == 0x2D { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }

    func trialTable(_ context: Context) -> Node<HTML.BodyContext> {
        let table = tableData(context)
        let packed = Gzip.compress(Array(table.json.utf8)).map { Data($0).base64EncodedString() } ?? ""
        let statuses = TrialStatus.allCases.filter { status in data.records.contains { $0.status == status } }
        func element(_ name: String, _ attributes: [(String, String)], _ text: String? = nil,
                     _ children: [Node<HTML.BodyContext>] = []) -> Node<HTML.BodyContext> {
            .element(named: name, nodes: attributes.map { SVG.attribute($0.0, $0.1) } + (text.map { [.text($0)] } ?? []) + children)
        }
        let options = [element("option", [("value", "all")], "every status")] + statuses.map { element("option", [("value", $0.rawValue)], $0.rawValue) }
        return element("div", [("class", "trial-table"), ("data-rows", "\(table.rows.count)")], nil, [
            element("div", [("class", "controls")], nil, [
                element("select", [("class", "status"), ("aria-label", "status")], nil, options),
                element("input", [("class", "filter"), ("type", "search"), ("aria-label", "filter"),
                                  ("placeholder", "filter: text, or learning_rate<0.01, augment=flip")]),
                element("span", [("class", "count note")]),
            ]),
            element("div", [("class", "scroll")], nil, [element("table", [("class", "trials")], nil, [element("thead", []), element("tbody", [])])]),
            element("div", [("class", "pager")], nil, [
                element("button", [("class", "previous"), ("type", "button")], "‹ previous"), element("span", [("class", "page note")]),
                element("button", [("class", "next"), ("type", "button")], "next ›"),
            ]),
            element("script", [("type", "application/json"), ("class", "data"), ("data-encoding", "gzip+base64")], nil, [.raw(packed)]),
            element("noscript", [], "The table of every trial needs JavaScript; sweep rank prints it."),
        ])
    }

    /// The table's script (in the page's head): `sweepTable.init()` draws the table in the body, again
    /// after the live page swaps a new body in, keeping the sort, filter and page.
    public static let tableScript = """
        <script>
        window.sweepTable = (function () {
          // The sort is kept by the column's name: a body swapped in may have columns the last one had not.
          // Until a heading is clicked (chosen), each table's own default sort.
          var state = {sort: null, descending: false, chosen: false, filter: "", status: "all", page: 0};
          function decode(text) {
            var binary = atob(text.trim()), bytes = new Uint8Array(binary.length);
            for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
            var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
            return new Response(stream).text().then(function (text) {
              var table = JSON.parse(text);
              table.values = table.values.map(function (column) {
                if (Array.isArray(column)) { return column; }
                var cells = [];
                for (var at = 0; at < column.text.length; at += column.width) { cells.push(column.text.slice(at, at + column.width)); }
                return cells;
              });
              var count = table.values.length ? table.values[0].length : 0;
              table.rows = [];
              for (var r = 0; r < count; r++) { table.rows.push(table.values.map(function (column) { return column[r]; })); }
              return table;
            });
          }
          function matcher(table, text) {
            var tests = text.trim().split(/\\s+/).filter(Boolean).map(function (token) {
              var m = /^([^<>=:!]+)(<=|>=|!=|<|>|=|:)(.*)$/.exec(token), lower = token.toLowerCase();
              var column = m ? table.columns.map(function (c) { return c.toLowerCase(); }).indexOf(m[1].toLowerCase()) : -1;
              if (column < 0) {
                return function (row) { return row.some(function (cell) { return cell.toLowerCase().indexOf(lower) >= 0; }); };
              }
              var op = m[2], wanted = m[3], number = parseFloat(wanted), numeric = table.numeric[column] && !isNaN(number);
              return function (row) {
                var cell = row[column];
                if (op === ":") { return cell.toLowerCase().indexOf(wanted.toLowerCase()) >= 0; }
                if (!numeric || cell === "") { return op === "=" ? cell === wanted : op === "!=" ? cell !== wanted : false; }
                var x = parseFloat(cell);
                return op === "<" ? x < number : op === ">" ? x > number : op === "<=" ? x <= number
                  : op === ">=" ? x >= number : op === "=" ? x === number : x !== number;
              };
            });
            return function (row) { return tests.every(function (test) { return test(row); }); };
          }
          function draw(root, table) {
            var statusColumn = table.columns.indexOf("status"), keep = matcher(table, state.filter);
            var rows = table.rows.filter(function (row) { return (state.status === "all" || row[statusColumn] === state.status) && keep(row); });
            // The column chosen, while the table has it; else the table's default.
            var chosen = state.chosen ? table.columns.indexOf(state.sort) : -1;
            var sorted = chosen >= 0 ? chosen : table.sort, descending = chosen >= 0 ? state.descending : table.descending;
            if (sorted >= 0 && sorted < table.columns.length) {
              // Each row's key once: blank, and in a column of numbers nan or inf (what parseFloat does not
              // read as a finite number), is null and sorts last either way.
              var c = sorted, sign = descending ? -1 : 1, numeric = table.numeric[c];
              rows = rows.map(function (row) {
                var cell = row[c], key = cell === "" ? null : numeric ? parseFloat(cell) : cell;
                return {row: row, key: numeric && !isFinite(key) ? null : key};
              }).sort(function (a, b) {
                if (a.key === null || b.key === null) { return (a.key === null) - (b.key === null); }
                return a.key < b.key ? -sign : a.key > b.key ? sign : 0;
              }).map(function (keyed) { return keyed.row; });
            }
            var size = \(tablePage), pages = Math.max(1, Math.ceil(rows.length / size));
            state.page = Math.min(state.page, pages - 1);
            var head = document.createElement("tr");
            table.columns.forEach(function (name, i) {
              var th = document.createElement("th");
              th.textContent = name + (sorted === i ? (descending ? " ▼" : " ▲") : "");
              th.addEventListener("click", function () {
                state.descending = sorted === i ? !descending : false;
                state.sort = name; state.chosen = true; state.page = 0; draw(root, table);
              });
              head.appendChild(th);
            });
            var thead = root.querySelector("thead"), tbody = root.querySelector("tbody");
            thead.replaceChildren(head);
            var body = document.createDocumentFragment();
            rows.slice(state.page * size, (state.page + 1) * size).forEach(function (row) {
              var tr = document.createElement("tr");
              row.forEach(function (cell) { var td = document.createElement("td"); td.textContent = cell; tr.appendChild(td); });
              body.appendChild(tr);
            });
            tbody.replaceChildren(body);
            root.querySelector(".count").textContent = rows.length + " of " + table.rows.length + " trials";
            root.querySelector(".page").textContent = "page " + (state.page + 1) + " of " + pages;
            root.querySelector(".previous").disabled = state.page === 0;
            root.querySelector(".next").disabled = state.page >= pages - 1;
            root.setAttribute("data-shown", String(rows.length));
            root.setAttribute("data-ready", "1");
            if (!root.hasAttribute("data-drawn")) { root.setAttribute("data-drawn", String(Math.round(performance.now()))); }
          }
          function init() {
            var root = document.querySelector(".trial-table");
            if (!root || typeof DecompressionStream === "undefined") { return; }
            decode(root.querySelector("script.data").textContent).then(function (table) {
              var status = root.querySelector("select.status"), filter = root.querySelector("input.filter");
              status.value = state.status; filter.value = state.filter;
              status.addEventListener("change", function () { state.status = status.value; state.page = 0; draw(root, table); });
              filter.addEventListener("input", function () { state.filter = filter.value; state.page = 0; draw(root, table); });
              root.querySelector(".previous").addEventListener("click", function () { state.page -= 1; draw(root, table); });
              root.querySelector(".next").addEventListener("click", function () { state.page += 1; draw(root, table); });
              draw(root, table);
            });
          }
          document.addEventListener("DOMContentLoaded", init);
          return {init: init, state: state};
        })();
        </script>
        """
}

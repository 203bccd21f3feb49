package dev.spinup.edge;

/**
 * The pages the edge serves in place of a workspace that is not running. Self-contained (inline
 * CSS and SVG, no fonts, scripts or images fetched), readable at any width, in light and dark
 * mode, with one h1 and a main landmark; every page names the workspace it is about.
 */
public final class Pages {
    private Pages() {}

    /** 503 while a workspace is suspended; reloads itself after {@code retryAfterSeconds}. */
    public static String suspended(String displayName, String hostname, int retryAfterSeconds) {
        return suspendedHtml(esc(label(displayName, hostname)), esc(hostname), retryAfterSeconds);
    }

    /** 503 while a workspace is archived: its files are in storage until it is restored. */
    public static String archived(String displayName, String hostname) {
        return archivedHtml(esc(label(displayName, hostname)), esc(hostname));
    }

    /** 404 for a deleted workspace. */
    public static String tombstone(String hostname) {
        return tombstoneHtml(esc(hostname));
    }

    /** 404 for a host name this edge knows nothing about. */
    public static String unknown() {
        return page(
                "No workspace here",
                "#6b7280",
                TOMB,
                "Not found",
                "No workspace here",
                "<p>No workspace answers at this address. Check the link for typing mistakes.</p>",
                "",
                "");
    }

    /**
     * 401 for a private name opened without a valid grant: what happened, in words, and what to
     * do (open the workspace again from the product, which asks SpinUp for a fresh link).
     * {@code reason} is the ErrorReason name the edge also sends in its X-Spinup-Reason header.
     */
    public static String refused(String hostname, String reason, String why) {
        return page(
                "Sign-in needed",
                "#7c3aed",
                LOCK,
                "Private",
                "This workspace is private",
                "<p>" + esc(why) + "</p>"
                        + "<p><strong>Open it again from the app that sent you here</strong>: it gives you a fresh "
                        + "link. Links are personal, work once, and expire within a minute.</p>"
                        + "<p><code>" + esc(reason) + "</code></p>",
                esc(hostname),
                "");
    }

    /**
     * 502 for a preview name whose port nothing in the workspace listens on (yet): a server that
     * is still starting shows up by itself, since the page asks again every few seconds.
     */
    public static String portClosed(String hostname, int port, String reason) {
        return page(
                "Nothing on port " + port,
                "#b45309",
                BOX,
                "Not listening",
                "Nothing listens on port " + port,
                "<p>Nothing in this workspace listens on port " + port + " right now. Start the server in the "
                        + "workspace (its terminal, or its project's scripts), and this page shows it: it checks "
                        + "again by itself every 5 seconds.</p>"
                        + "<p><code>" + esc(reason) + "</code></p>",
                esc(hostname),
                "<meta http-equiv=\"refresh\" content=\"5\">");
    }

    // The *Html forms take HTML: escaped text, or the edge's placeholders, filled in per request.

    static String suspendedHtml(String nameHtml, String hostHtml, int retryAfterSeconds) {
        return page(
                nameHtml + " is asleep",
                "#b45309",
                MOON,
                "Suspended",
                nameHtml + " is asleep",
                "<p>This workspace is suspended: it is not running right now, and all of its files are kept "
                        + "exactly as they were.</p>"
                        + "<p>Once its owner resumes it, it will be back here within seconds. This page checks "
                        + "again by itself every " + retryAfterSeconds + " seconds.</p>",
                hostHtml,
                "<meta http-equiv=\"refresh\" content=\"" + retryAfterSeconds + "\">");
    }

    static String archivedHtml(String nameHtml, String hostHtml) {
        return page(
                nameHtml + " is archived",
                "#1d4ed8",
                BOX,
                "Archived",
                nameHtml + " is archived",
                "<p>This workspace has not been used for a while, so it was packed away. Nothing is lost: "
                        + "its files are kept safely in storage.</p>"
                        + "<p><strong>To use it again, restore it</strong> from your SpinUp dashboard (or with the "
                        + "<code>RestoreWorkspace</code> API call). Restoring takes a minute or two; this address "
                        + "stays the same.</p>",
                hostHtml,
                "");
    }

    static String tombstoneHtml(String hostHtml) {
        return page(
                hostHtml + " no longer exists",
                "#6b7280",
                TOMB,
                "Deleted",
                "This workspace no longer exists",
                "<p>The workspace at <strong>" + hostHtml + "</strong> was deleted, together with its files "
                        + "and snapshots. It cannot be restored.</p>"
                        + "<p>If you followed a link here, the link is out of date.</p>",
                hostHtml,
                "");
    }

    static String label(String displayName, String hostname) {
        return displayName == null || displayName.isBlank() ? hostname : displayName;
    }

    private static String page(
            String titleHtml,
            String accent,
            String icon,
            String badge,
            String headingHtml,
            String bodyHtml,
            String hostHtml,
            String extraHead) {
        return """
                <!doctype html>
                <html lang="en">
                <head>
                <meta charset="utf-8">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <meta name="robots" content="noindex">
                %s<title>%s · SpinUp</title>
                <style>
                :root{color-scheme:light dark;--bg:#f8fafc;--card:#fff;--text:#0f172a;--muted:#475569;--accent:%s}
                @media (prefers-color-scheme:dark){:root{--bg:#0b1120;--card:#111827;--text:#f1f5f9;--muted:#cbd5e1}}
                *{box-sizing:border-box}
                body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--text);
                font:16px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;padding:1.5rem}
                main{max-width:34rem;width:100%%;background:var(--card);border-radius:1rem;padding:2.5rem 2rem;
                box-shadow:0 1px 3px rgba(0,0,0,.08),0 12px 32px rgba(0,0,0,.08);border-top:6px solid var(--accent)}
                .badge{display:inline-flex;align-items:center;gap:.5rem;font-weight:600;font-size:.875rem;color:var(--accent);
                text-transform:uppercase;letter-spacing:.06em}
                .badge svg{width:1.5rem;height:1.5rem;fill:none;stroke:currentColor;stroke-width:2}
                h1{font-size:1.75rem;line-height:1.25;margin:.75rem 0 1rem;overflow-wrap:anywhere}
                p{color:var(--muted);margin:0 0 1rem}
                strong{color:var(--text)}
                code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
                footer{margin-top:1.5rem;font-size:.8125rem;color:var(--muted);overflow-wrap:anywhere}
                @media (prefers-color-scheme:dark){.badge{filter:brightness(1.6)}}
                </style>
                </head>
                <body>
                <main>
                <div class="badge">%s<span>%s</span></div>
                <h1>%s</h1>
                %s
                <footer>%s</footer>
                </main>
                </body>
                </html>
                """.formatted(
                        extraHead.isEmpty() ? "" : extraHead + "\n",
                        titleHtml,
                        accent,
                        icon,
                        badge,
                        headingHtml,
                        bodyHtml,
                        hostHtml.isEmpty() ? "Served by SpinUp" : hostHtml + " · served by SpinUp");
    }

    private static final String LOCK = "<svg viewBox=\"0 0 24 24\" aria-hidden=\"true\" focusable=\"false\">"
            + "<rect x=\"5\" y=\"11\" width=\"14\" height=\"10\" rx=\"2\"/><path d=\"M8 11V7a4 4 0 0 1 8 0v4\"/></svg>";
    private static final String MOON = "<svg viewBox=\"0 0 24 24\" aria-hidden=\"true\" focusable=\"false\">"
            + "<path d=\"M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z\"/></svg>";
    private static final String BOX = "<svg viewBox=\"0 0 24 24\" aria-hidden=\"true\" focusable=\"false\">"
            + "<path d=\"M3 7l9-4 9 4-9 4-9-4z\"/><path d=\"M3 7v10l9 4 9-4V7\"/><path d=\"M12 11v10\"/></svg>";
    private static final String TOMB = "<svg viewBox=\"0 0 24 24\" aria-hidden=\"true\" focusable=\"false\">"
            + "<circle cx=\"12\" cy=\"12\" r=\"9\"/><path d=\"M9 9l6 6M15 9l-6 6\"/></svg>";

    /**
     * HTML-escapes text (workspace names are user input), braces included: the edge fills in
     * {placeholders} in its pages, and a name must never become one.
     */
    static String esc(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                case '{' -> out.append("&#123;");
                case '}' -> out.append("&#125;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}

package dev.spinup.cli;

import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine.Option;

/** A List RPC's paging options: one page (and the token of the next, on stderr), or --all. */
final class Pages {
    @Option(
            names = "--page-size",
            paramLabel = "N",
            description = "Rows per page (the server caps it at 500; default 50).")
    int size = 50;

    @Option(names = "--page-token", paramLabel = "TOKEN", description = "The page a previous call pointed to.")
    String token = "";

    @Option(names = "--all", description = "Follow every page.")
    boolean all;

    <R extends Message> List<R> fetch(Session s, Function<String, R> call, Function<R, String> next) {
        if (size < 0) {
            throw new Failures.BadSetting("--page-size must not be negative");
        }
        List<R> pages = new ArrayList<>();
        String t = token;
        do {
            R page = call.apply(t);
            pages.add(page);
            t = next.apply(page);
        } while (all && !t.isEmpty());
        if (!all) {
            s.out.nextPage(t, s.err);
        }
        return pages;
    }

    /** With --json: each page as the API answered it, one JSON document per page. */
    boolean printJson(Session s, List<? extends Message> pages) {
        if (s.out.json) {
            pages.forEach(s.out::json);
        }
        return s.out.json;
    }
}

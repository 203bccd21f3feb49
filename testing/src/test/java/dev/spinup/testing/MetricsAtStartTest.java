package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.Metrics;
import dev.spinup.controlplane.core.Envelope;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The README's metric catalogues are there from the start, at 0, before anything has happened:
 * a rate() or increase() over a counter that is born at its first event never sees that event.
 * Series whose label values are opened by use (an RPC method with an error reason, say) are
 * marked so in the catalogue.
 */
class MetricsAtStartTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    /** The catalogue rows' mark for a metric whose series appear with their first label values. */
    static final String BY_USE = "(series appear with their first use)";

    @Test
    void theControlPlanesCatalogueHasASeriesBeforeAnyEvent() throws Exception {
        String text = Workspaces.get("http://127.0.0.1:" + spinup.cluster().metricsPort() + "/metrics")
                .body();
        assertEveryMetricOf(catalogue("- **Metrics** on `:9090/metrics`"), text);
    }

    @Test
    void anAgentsCatalogueHasASeriesBeforeItsFirstCommand() throws Exception {
        var host = spinup.cluster().startAgentWithEdge(new Envelope(2, 4, 20), null);
        try (Metrics.Endpoint endpoint =
                new Metrics.Endpoint("127.0.0.1", Ports.free(), host.agent().meters())) {
            String text = Workspaces.get("http://127.0.0.1:" + endpoint.port() + "/metrics")
                    .body();
            assertEveryMetricOf(catalogue("- **Agent metrics** on each host's `:9091/metrics`"), text);
        }
    }

    /** The rows of the README table that follows the line starting with {@code heading}. */
    private static List<String> catalogue(String heading) throws Exception {
        List<String> lines = Files.readAllLines(Checkout.root().resolve("README.md"));
        int at = 0;
        while (!lines.get(at).startsWith(heading)) {
            at++;
        }
        while (!lines.get(at).startsWith("|")) {
            at++;
        }
        List<String> rows = new ArrayList<>();
        for (; at < lines.size() && lines.get(at).startsWith("|"); at++) {
            if (lines.get(at).startsWith("| `spinup_")) {
                rows.add(lines.get(at));
            }
        }
        return rows;
    }

    private static void assertEveryMetricOf(List<String> rows, String text) {
        List<String> documented = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String row : rows) {
            String[] cells = row.split("\\|");
            if (cells[2].contains(BY_USE)) {
                continue;
            }
            Matcher name = Pattern.compile("`(spinup_[a-z_]+)").matcher(cells[1]);
            while (name.find()) {
                String metric = name.group(1);
                documented.add(metric);
                // a counter's or gauge's sample, or a histogram's _count
                if (!Pattern.compile("(?m)^" + metric + "(_count)?(\\{[^}]*})? ")
                        .matcher(text)
                        .find()) {
                    missing.add(metric);
                }
            }
        }
        assertThat(documented).as("the catalogue in the README").hasSizeGreaterThan(8);
        assertThat(missing).as("documented metrics with no series at start").isEmpty();
    }
}

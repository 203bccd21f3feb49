package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The README's metric catalogue is there from the start, at 0, before anything has happened (no
 * host, no request): a rate() or increase() over a counter that is born at its first event never
 * sees that event. Series whose label values are opened by use (an RPC method with an error
 * reason, say) are marked so in the catalogue.
 */
class MetricsAtStartTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    /** The catalogue rows' mark for a metric whose series appear with their first label values. */
    static final String BY_USE = "(series appear with their first use)";

    @Test
    void everyDocumentedMetricHasASeriesBeforeAnyEvent() throws Exception {
        String readme = Files.readString(Checkout.root().resolve("README.md"));
        String text = Workspaces.get("http://127.0.0.1:" + spinup.cluster().metricsPort() + "/metrics")
                .body();

        List<String> documented = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        Matcher row = Pattern.compile("(?m)^\\| (`spinup_[^|]*)\\|([^\\n]*)$").matcher(readme);
        while (row.find()) {
            if (row.group(2).contains(BY_USE)) {
                continue;
            }
            Matcher name = Pattern.compile("`(spinup_[a-z_]+)").matcher(row.group(1));
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
        assertThat(documented).as("the README's metric catalogue").hasSizeGreaterThan(30);
        assertThat(missing).as("documented metrics with no series at start").isEmpty();
    }
}

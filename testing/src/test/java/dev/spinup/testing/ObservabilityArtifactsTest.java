package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The alert rules and the Grafana dashboard in ops/ speak of metrics that exist: every metric
 * name either uses is in the README's catalogues (which MetricsAtStartTest holds to the running
 * processes), the rules file is one that {@code promtool check rules} accepts (promtool from
 * Debian's prometheus package, which scripts/setup-host.sh fetches), and the dashboard is JSON
 * whose every panel has a query.
 */
class ObservabilityArtifactsTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern METRIC = Pattern.compile("\\bspinup_[a-z0-9_]+");

    @Test
    void promtoolAcceptsTheRulesAndEveryMetricTheyUseIsDocumented() throws Exception {
        Path rules = REPO.resolve("ops/prometheus/spinup-rules.yml");
        Path promtool = promtool();
        Process check = new ProcessBuilder(promtool.toString(), "check", "rules", rules.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(check.getInputStream().readAllBytes());
        assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(check.exitValue()).as("promtool check rules: %s", out).isZero();
        assertThat(out).contains("SUCCESS");
        assertThat(undocumented(Files.readString(rules)))
                .as("metrics the rules use but the README does not list")
                .isEmpty();
    }

    @Test
    void theDashboardQueriesOnlyDocumentedMetrics() throws IOException {
        String json = Files.readString(REPO.resolve("ops/grafana/spinup-dashboard.json"));
        Map<String, Object> dashboard = JSON.std.mapFrom(json);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> panels = (List<Map<String, Object>>) dashboard.get("panels");
        assertThat(panels)
                .isNotEmpty()
                .allSatisfy(p -> assertThat((List<?>) p.get("targets")).isNotEmpty());
        assertThat(undocumented(json))
                .as("metrics the dashboard uses but the README does not list")
                .isEmpty();
    }

    /** Names used (histogram and summary suffixes stripped; recording rules' spinup:… are not metrics) not in the README. */
    private static Set<String> undocumented(String text) throws IOException {
        String readme = Files.readString(REPO.resolve("README.md"));
        Set<String> missing = new TreeSet<>();
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            String name = m.group().replaceAll("_(bucket|count|sum)$", "");
            if (!readme.contains("`" + name + "`") && !readme.contains("`" + name + "{")) {
                missing.add(name);
            }
        }
        return missing;
    }

    private static Path promtool() {
        String cache = System.getenv().getOrDefault("XDG_CACHE_HOME", System.getProperty("user.home") + "/.cache");
        Path cached = Path.of(cache, "spinup/promtool/promtool");
        if (Files.isExecutable(cached)) {
            return cached;
        }
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, "promtool"))) {
                return Path.of(d, "promtool");
            }
        }
        throw new AssertionError("no promtool: scripts/setup-host.sh fetches it into " + cached);
    }
}

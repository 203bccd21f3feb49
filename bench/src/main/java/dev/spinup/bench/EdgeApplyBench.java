package dev.spinup.bench;

import dev.spinup.agent.edge.CaddyEdge;
import dev.spinup.api.v1.ApplyEdgeRoutes;
import dev.spinup.api.v1.EdgeRoute;
import dev.spinup.api.v1.EdgeRouteMode;
import dev.spinup.edge.CaddyConfig;
import dev.spinup.edge.EdgeSettings;
import dev.spinup.testing.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * How long the agent takes to apply a host's routing table to Caddy (render the whole config,
 * POST /load, check the generation took, keep it on disk) at 1, 100 and 1,000 routes, next to a
 * raw {@code curl POST /load} of the same JSON against the same Caddy, alternating in one run.
 */
@Command(
        name = "edge-apply",
        mixinStandardHelpOptions = true,
        description = "Time an edge config apply through the agent against a raw curl /load of the same JSON.")
final class EdgeApplyBench implements Callable<Integer> {
    @Option(names = "--quick", description = "Fewer iterations (CI).")
    boolean quick;

    @Option(
            names = "--results",
            defaultValue = "bench/results",
            description = "Where to write edge-apply.json (default: ${DEFAULT-VALUE}).")
    Path results;

    @Override
    public Integer call() throws Exception {
        Path dir = ScratchDir.create("edge");
        int port = Ports.free();
        int admin = Ports.free();
        EdgeSettings settings = EdgeSettings.plainHttp("127.0.0.1:" + admin, "127.0.0.1:" + port, "bench");
        List<String> rows = new ArrayList<>();
        List<String> json = new ArrayList<>();
        CaddyEdge edge =
                new CaddyEdge(dir.resolve("edge"), settings, "127.0.0.1:" + port, CaddyEdge.findBinary("caddy"));
        try {
            long generation = 1;
            for (int routes : new int[] {1, 100, 1000}) {
                int iterations = quick ? 5 : routes >= 1000 ? 30 : 100;
                int warmup = quick ? 1 : 5;
                ApplyEdgeRoutes.Builder table = table(routes);
                List<Long> agent = new ArrayList<>();
                List<Long> curl = new ArrayList<>();
                long bytes = 0;
                for (int i = 0; i < warmup + iterations; i++) {
                    // Each apply is a new generation: Caddy skips a config identical to the one it runs.
                    long g = generation++;
                    long t0 = System.nanoTime();
                    edge.apply(table.setGeneration(g).build());
                    long agentNanos = System.nanoTime() - t0;

                    long rawGeneration = generation++;
                    Path file = dir.resolve("raw.json");
                    String config = CaddyConfig.render(
                            settings,
                            rawGeneration,
                            table.build().getRoutesList().stream()
                                    .map(CaddyEdge::route)
                                    .toList());
                    Files.writeString(file, config);
                    bytes = config.length();
                    long t1 = System.nanoTime();
                    curlLoad(admin, file);
                    long curlNanos = System.nanoTime() - t1;
                    if (i >= warmup) {
                        agent.add(agentNanos);
                        curl.add(curlNanos);
                    }
                }
                Stats a = Stats.ofNanos(agent);
                Stats c = Stats.ofNanos(curl);
                rows.add(String.format(
                        Locale.ROOT,
                        "%6d  %9d  %8.2f  %8.2f  %8.2f  %8.2f  %6.2f",
                        routes,
                        bytes,
                        a.p50(),
                        a.p90(),
                        c.p50(),
                        c.p90(),
                        a.p50() / c.p50()));
                json.add(String.format(
                        Locale.ROOT,
                        "{\"routes\": %d, \"config_bytes\": %d, \"agent_apply\": %s, "
                                + "\"raw_curl_load\": %s, \"ratio_p50\": %.3f}",
                        routes,
                        bytes,
                        a.json(),
                        c.json(),
                        a.p50() / c.p50()));
            }
        } finally {
            edge.closeAndStopCaddy();
        }
        System.out.println();
        System.out.println(
                "Edge config apply: agent (render + POST /load + check + keep on disk) vs raw curl POST /load");
        System.out.println("machine: " + Stats.machine() + (quick ? "  (quick mode)" : ""));
        System.out.println("routes  JSON bytes  agent p50  agent p90  curl p50  curl p90  ratio");
        rows.forEach(System.out::println);
        Files.createDirectories(results);
        Path out = results.resolve("edge-apply.json");
        Files.writeString(
                out,
                "{\n  \"scenario\": \"edge-apply\",\n  \"machine\": \"" + Stats.machine() + "\",\n  \"quick\": " + quick
                        + ",\n  \"results\": [\n    " + String.join(",\n    ", json) + "\n  ]\n}\n");
        System.out.println("written to " + out);
        return 0;
    }

    /** A realistic mix: 60% running, 30% suspended, 10% archived. */
    private static ApplyEdgeRoutes.Builder table(int routes) {
        ApplyEdgeRoutes.Builder table = ApplyEdgeRoutes.newBuilder();
        for (int i = 0; i < routes; i++) {
            String id = new UUID(0x0197a00000007000L, 0x8000000000000000L | i).toString();
            EdgeRouteMode mode = i % 10 < 6
                    ? EdgeRouteMode.EDGE_ROUTE_MODE_PROXY
                    : i % 10 < 9
                            ? EdgeRouteMode.EDGE_ROUTE_MODE_SUSPENDED_PAGE
                            : EdgeRouteMode.EDGE_ROUTE_MODE_ARCHIVED_PAGE;
            table.addRoutes(EdgeRoute.newBuilder()
                    .setWorkspaceId(id)
                    .setDisplayName("Workspace " + i)
                    .addDomains(id + ".workspaces.example.test")
                    .setMode(mode)
                    .setUpstream(mode == EdgeRouteMode.EDGE_ROUTE_MODE_PROXY ? "http://127.0.0.1:" + (20000 + i) : ""));
        }
        return table;
    }

    private static void curlLoad(int admin, Path file) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(
                        "curl",
                        "-sS",
                        "-f",
                        "-o",
                        "/dev/null",
                        "-X",
                        "POST",
                        "-H",
                        "Content-Type: application/json",
                        "--data-binary",
                        "@" + file,
                        "http://127.0.0.1:" + admin + "/load")
                .inheritIO()
                .start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("curl /load failed with exit code " + p.exitValue());
        }
    }
}

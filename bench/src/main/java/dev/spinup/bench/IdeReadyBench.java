package dev.spinup.bench;

import dev.spinup.agent.GuestFiles;
import dev.spinup.agent.drivers.LocalWorkspace;
import dev.spinup.agent.drivers.ProcessVmDriver;
import dev.spinup.testing.Browser;
import dev.spinup.testing.CodeServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * CreateWorkspace until its IDE is usable in Chromium (the workbench up and its explorer listing
 * the project), process driver, one workspace at a time; what an IDE costs a workspace in memory
 * next to its app; and, for React workspaces running Vite's dev server, the dev server's memory
 * and the time from saving an edit in the IDE to the preview tab showing it (hot reload).
 */
@Command(
        name = "ide-ready",
        mixinStandardHelpOptions = true,
        description = "Create -> IDE interactive in Chromium (process driver), the IDE's, app's and dev server's RSS,"
                + " and save -> preview by hot reload.")
final class IdeReadyBench implements Callable<Integer> {
    @Option(names = "--quick", description = "3 workspaces instead of 10 (CI).")
    boolean quick;

    @Mixin
    BenchPostgres pg;

    @Option(
            names = "--results",
            defaultValue = "bench/results",
            description = "Where to write ide-ready.json (default: ${DEFAULT-VALUE}).")
    Path results;

    @Override
    public Integer call() throws Exception {
        int n = quick ? 3 : 10;
        Path codeServer = CodeServer.build();
        Path templateDeps = dev.spinup.testing.Checkout.root().resolve("vm-base-config/target/template-deps");
        Path dir = ScratchDir.create("ide-ready");
        AtomicReference<ProcessVmDriver> driver = new AtomicReference<>();
        List<Long> ready = new ArrayList<>();
        List<Long> ideMib = new ArrayList<>();
        List<Long> appMib = new ArrayList<>();
        List<Long> saveToPreview = new ArrayList<>();
        List<Long> devServerMib = new ArrayList<>();
        try (BenchPostgres.Scratch scratch =
                        pg.create("spinup_bench_ide_" + ProcessHandle.current().pid());
                BenchCluster cluster = new BenchCluster(dir.resolve("cluster"), scratch.url(), pg.user, 1, hostDir -> {
                    driver.set(new ProcessVmDriver(
                            hostDir.resolve("workspaces"),
                            GuestFiles.extract(hostDir.resolve("guest")),
                            "127.0.0.1",
                            33000,
                            33199,
                            Duration.ofSeconds(30),
                            codeServer,
                            Files.isDirectory(templateDeps) ? templateDeps : null));
                    return driver.get();
                })) {
            for (int i = 0; i <= n; i++) { // the first is a warm-up
                long started = System.nanoTime();
                String id = cluster.createActive(Duration.ofSeconds(60));
                LocalWorkspace local = driver.get().find(id).orElseThrow();
                CodeServer.awaitReady(local.ideEndpoint(), Duration.ofMinutes(1));
                long answering = System.nanoTime() - started;
                Browser.IdeView view =
                        Browser.openIde(local.ideEndpoint() + "/", dir.resolve("ide-" + i + ".png"), null, null);
                if (i > 0) {
                    ready.add(answering + Duration.ofMillis(view.workbenchMs()).toNanos());
                    List<ProcessHandle> tree = workspaceTree(dir, id);
                    ideMib.add(CodeServer.residentMib(
                            tree.stream().filter(CodeServer::isCodeServer).toList()));
                    appMib.add(CodeServer.residentMib(tree.stream()
                            .filter(p -> !CodeServer.isCodeServer(p))
                            .toList()));
                }
                cluster.delete(id, Duration.ofSeconds(60));
            }
            for (int i = 0; i <= n; i++) { // the first is a warm-up
                String id = cluster.createActive(
                        dev.spinup.api.v1.ProjectTemplate.PROJECT_TEMPLATE_REACT, Duration.ofSeconds(60));
                LocalWorkspace local = driver.get().find(id).orElseThrow();
                CodeServer.awaitReady(local.ideEndpoint(), Duration.ofMinutes(1));
                Browser.EditView edit = Browser.editAndWatch(
                        local.endpoint() + "/",
                        local.ideEndpoint() + "/",
                        "src/App.jsx",
                        "React starter",
                        "Edited " + i,
                        dir.resolve("edit-" + i + ".png"));
                if (i > 0) {
                    saveToPreview.add(Duration.ofMillis(edit.saveToPreviewMs()).toNanos());
                    devServerMib.add(CodeServer.residentMib(workspaceTree(dir, id).stream()
                            .filter(p -> !CodeServer.isCodeServer(p))
                            .toList()));
                }
                cluster.delete(id, Duration.ofSeconds(60));
            }
        }
        Stats all = Stats.ofNanos(ready);
        System.out.println();
        System.out.println(
                "CreateWorkspace -> IDE interactive in Chromium, process driver (starter app), one at a time");
        System.out.println("machine: " + Stats.machine() + (quick ? "  (quick mode)" : ""));
        System.out.printf(
                Locale.ROOT,
                "create -> IDE interactive: p50 %7.1f ms  p90 %7.1f ms  max %7.1f ms  (n=%d)%n",
                all.p50(),
                all.p90(),
                all.max(),
                all.n());
        System.out.printf(
                Locale.ROOT,
                "RSS per workspace, median: IDE (code-server, its extension host and terminal) %d MiB, app %d MiB%n",
                median(ideMib),
                median(appMib));
        Stats hot = Stats.ofNanos(saveToPreview);
        System.out.printf(
                Locale.ROOT,
                "save in the IDE -> preview shows it (React, Vite hot reload): p50 %7.1f ms  p90 %7.1f ms  (n=%d);"
                        + " dev server RSS median %d MiB%n",
                hot.p50(),
                hot.p90(),
                hot.n(),
                median(devServerMib));
        Files.createDirectories(results);
        Path out = results.resolve("ide-ready.json");
        Files.writeString(
                out,
                String.format(
                        Locale.ROOT,
                        """
                {
                  "scenario": "ide-ready",
                  "machine": "%s",
                  "quick": %s,
                  "create_to_ide_interactive": %s,
                  "ide_rss_mib_median": %d,
                  "app_rss_mib_median": %d,
                  "save_to_preview": %s,
                  "dev_server_rss_mib_median": %d
                }
                """,
                        Stats.machine(),
                        quick,
                        all.json(),
                        median(ideMib),
                        median(appMib),
                        hot.json(),
                        median(devServerMib)));
        System.out.println("written to " + out);
        return 0;
    }

    /** The workspace's entrypoint (from its pid file) and everything under it. */
    private static List<ProcessHandle> workspaceTree(Path dir, String workspaceId) throws Exception {
        Path pidFile =
                dir.resolve("cluster/host-0/workspaces").resolve(workspaceId).resolve("pid");
        ProcessHandle root = ProcessHandle.of(
                        Long.parseLong(Files.readString(pidFile).trim()))
                .orElseThrow();
        List<ProcessHandle> tree = new ArrayList<>(List.of(root));
        tree.addAll(root.descendants().toList());
        return tree;
    }

    private static long median(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2);
    }
}

package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.controlplane.core.Envelope;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two transitions started at the same instant on two workspaces of one host, fifty times over,
 * with every name checked through the host's real Caddy after each pair: each workspace's name
 * answers as its state says (its own app, the asleep page, the archived page, the tombstone), no
 * route is left stale, and a name never reaches another workspace's app — also when a new
 * workspace is given an app port an archived or deleted one held.
 */
class ConcurrentTransitionsEdgeTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;
    static SpinUpCluster.TestHost host;

    static final int PAIRS = 50;
    static final int ACTIVE = 4;
    static final List<List<String>> VERBS = List.of(
            List.of("suspend", "suspend"),
            List.of("archive", "archive"),
            List.of("delete", "suspend"),
            List.of("suspend", "archive"),
            List.of("delete", "delete"),
            List.of("archive", "delete"));

    /** The state each workspace of the test should answer in, by id; its display name is its key too. */
    final Map<String, String> expected = new LinkedHashMap<>();

    final Map<String, String> names = new LinkedHashMap<>();

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        // The shipped starter app; app ports from a range of 200, so freed ports are reused.
        host = cluster.startAgentWithEdge(new Envelope(64, 64, 640), null);
    }

    @Test
    void twoTransitionsAtOnceNeverLeaveAStaleRouteNorServeAnotherWorkspacesApp() throws Exception {
        topUp();
        for (int pair = 0; pair < PAIRS; pair++) {
            List<String> active = expected.entrySet().stream()
                    .filter(e -> e.getValue().equals("active"))
                    .map(Map.Entry::getKey)
                    .toList();
            String a = active.get(pair % active.size());
            String b = active.get((pair + 1) % active.size());
            List<String> verbs = VERBS.get(pair % VERBS.size());

            List<Operation> done = atOnce(List.of(a, b), verbs);

            for (int i = 0; i < 2; i++) {
                assertThat(done.get(i).getStatus())
                        .as("pair %d: %s %s", pair, verbs.get(i), done.get(i))
                        .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
                expected.put(
                        List.of(a, b).get(i),
                        switch (verbs.get(i)) {
                            case "suspend" -> "suspended";
                            case "archive" -> "archived";
                            default -> "deleted";
                        });
            }
            checkEveryName("pair " + pair + " (" + verbs + ")");
            // Back to four running: suspended ones are restored, new ones take freed app ports.
            for (String ws : List.copyOf(expected.keySet())) {
                if (expected.get(ws).equals("suspended")) {
                    Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "restore", ws));
                    expected.put(ws, "active");
                }
            }
            topUp();
            checkEveryName("pair " + pair + ", after restores and creates");
        }
    }

    private void topUp() {
        while (expected.values().stream().filter("active"::equals).count() < ACTIVE) {
            String name = "tenant-" + UUID.randomUUID().toString().substring(0, 8);
            Operation create = cluster.product()
                    .createWorkspace(Workspaces.hobby(name).build())
                    .getOperation();
            Workspaces.awaitSucceeded(cluster.product(), create);
            Workspaces.setAppSharing(
                    cluster.product(), create.getWorkspaceId(), dev.spinup.api.v1.Sharing.SHARING_PUBLIC);
            expected.put(create.getWorkspaceId(), "active");
            names.put(create.getWorkspaceId(), name);
        }
    }

    /** Every workspace of the test, through the edge, answers as its state says, and only with its own app. */
    private void checkEveryName(String when) {
        for (Map.Entry<String, String> e : expected.entrySet()) {
            String ws = e.getKey();
            String name = names.get(ws);
            HttpResponse<String> r = EdgeRoutingTest.get(host, ws + ".workspaces.localhost");
            String what = when + ": " + e.getValue() + " workspace " + name + " answered " + r.statusCode();
            switch (e.getValue()) {
                case "active" -> {
                    assertThat(r.statusCode()).as(what).isEqualTo(200);
                    assertThat(r.body()).as(what).contains("<title>" + name + " · SpinUp workspace</title>");
                }
                case "suspended" -> {
                    assertThat(r.statusCode()).as(what).isEqualTo(503);
                    assertThat(r.body()).as(what).contains("<title>" + name + " is asleep · SpinUp</title>");
                }
                case "archived" -> {
                    assertThat(r.statusCode()).as(what).isEqualTo(503);
                    assertThat(r.body()).as(what).contains("<title>" + name + " is archived · SpinUp</title>");
                }
                default -> {
                    assertThat(r.statusCode()).as(what).isEqualTo(404);
                    assertThat(r.body()).as(what).contains("no longer exists");
                }
            }
            if (!e.getValue().equals("active")) {
                assertThat(r.body()).as(what + ": never an app").doesNotContain("SpinUp workspace</title>");
            }
        }
    }

    /** Starts {@code verbs.get(i)} on {@code workspaces.get(i)} at the same instant and waits for both. */
    private static List<Operation> atOnce(List<String> workspaces, List<String> verbs) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Operation>> started = new ArrayList<>();
            for (int i = 0; i < workspaces.size(); i++) {
                String ws = workspaces.get(i);
                String verb = verbs.get(i);
                var client = cluster.product();
                started.add(pool.submit(() -> {
                    go.await();
                    return Workspaces.request(client, verb, ws);
                }));
            }
            go.countDown();
            List<Operation> done = new ArrayList<>();
            for (Future<Operation> f : started) {
                done.add(Workspaces.awaitDone(cluster.product(), f.get().getId()));
            }
            return done;
        }
    }
}

package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.CreateWorkspaceRequest;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.Operation;
import dev.spinup.controlplane.core.Envelope;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A request_id is claimed before anything else: every copy of one CreateWorkspace sent at the same
 * instant gets the same Operation, also when the region has room for exactly one workspace and
 * placement would refuse every copy after the first. A copy with another payload is refused with
 * REQUEST_ID_REUSED, not NO_CAPACITY.
 */
class LastSlotIdempotencyTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;

    static final int COPIES = 10;
    static final int ROUNDS = 5;
    /** A hobby workspace's envelope: a host this size has exactly one slot. */
    static final Envelope ONE_SLOT = new Envelope(1, 1, 5);

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
    }

    @Test
    void everyCopyOfACreateAtTheLastSlotGetsTheSameOperation() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            cluster.startAgent(ONE_SLOT); // the only free slot in the region (earlier rounds' hosts are full)
            CreateWorkspaceRequest request =
                    Workspaces.hobby("last-slot-" + round).build();

            List<Object> answers = sendAtOnce(COPIES, () -> request);

            assertThat(answers).as("round %d: every copy's answer", round).allMatch(a -> a instanceof Operation);
            Set<String> ids = answers.stream().map(a -> ((Operation) a).getId()).collect(Collectors.toSet());
            assertThat(ids).as("round %d: one operation for all copies", round).hasSize(1);
            Workspaces.awaitSucceeded(cluster.product(), (Operation) answers.getFirst());
        }
    }

    @Test
    void aCopyWithAnotherPayloadIsARequestIdReuseNotNoCapacity() throws Exception {
        cluster.startAgent(ONE_SLOT);
        String requestId = "req-" + UUID.randomUUID();
        CreateWorkspaceRequest first =
                Workspaces.hobby("reuse-a").setRequestId(requestId).build();
        CreateWorkspaceRequest other =
                Workspaces.hobby("reuse-b").setRequestId(requestId).build();

        List<Object> answers = sendAtOnce(COPIES, new java.util.function.Supplier<>() {
            int n;

            @Override
            public synchronized CreateWorkspaceRequest get() {
                return n++ % 2 == 0 ? first : other;
            }
        });

        List<Operation> ops = answers.stream()
                .filter(a -> a instanceof Operation)
                .map(a -> (Operation) a)
                .toList();
        assertThat(ops.stream().map(Operation::getId).distinct())
                .as("at most one operation")
                .hasSizeLessThanOrEqualTo(1);
        for (Object a : answers) {
            if (a instanceof RuntimeException e) {
                ApiAssertions.assertError(
                        () -> {
                            throw e;
                        },
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_REQUEST_ID_REUSED);
            }
        }
        assertThat(answers)
                .as("every copy with the winner's payload got its operation")
                .filteredOn(a -> a instanceof Operation)
                .hasSize(COPIES / 2);
    }

    /** Sends {@code n} requests released by one latch; each answer is an Operation or the error. */
    private static List<Object> sendAtOnce(int n, java.util.function.Supplier<CreateWorkspaceRequest> requests)
            throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Object>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                CreateWorkspaceRequest request = requests.get();
                var client = cluster.product();
                futures.add(pool.submit(() -> {
                    go.await();
                    try {
                        return client.createWorkspace(request).getOperation();
                    } catch (RuntimeException e) {
                        return e;
                    }
                }));
            }
            go.countDown();
            List<Object> answers = new ArrayList<>();
            for (Future<Object> f : futures) {
                answers.add(f.get());
            }
            return answers;
        }
    }
}

package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.rpc.ErrorInfo;
import dev.spinup.api.v1.AgentServiceGrpc;
import dev.spinup.api.v1.ListRegionsRequest;
import dev.spinup.api.v1.WorkspaceServiceGrpc;
import dev.spinup.controlplane.core.Envelope;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Ten thousand random and malformed requests over every RPC of both services, as raw bytes:
 * random bytes, and real requests mangled (flipped bytes, truncations, invalid UTF-8 in a string,
 * invalid wire types, trailing garbage). No answer may be UNKNOWN or INTERNAL, every error must
 * carry an ErrorInfo, and the server must still answer between and after. The seed is printed
 * ({@code -Dspinup.fuzz.seed=} replays a run).
 */
class FuzzTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;
    static SpinUpCluster.RegisteredHost host;

    static final int CALLS = 10_000;
    static final MethodDescriptor.Marshaller<byte[]> BYTES = HostileInputTest.BYTES;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        // A host for the agent streams: registered, with no room (a create that slips through finds none).
        host = cluster.registerHost(new Envelope(0, 0, 0));
    }

    @Test
    void randomAndMalformedRequestsGetAStatusWithAnErrorInfoAndTheServerKeepsAnswering() throws Exception {
        long seed = Long.getLong("spinup.fuzz.seed", System.nanoTime());
        System.out.println("fuzz seed " + seed);
        List<MethodDescriptor<?, ?>> methods =
                new ArrayList<>(WorkspaceServiceGrpc.getServiceDescriptor().getMethods().stream()
                        .map(m -> (MethodDescriptor<?, ?>) m)
                        .toList());
        methods.addAll(AgentServiceGrpc.getServiceDescriptor().getMethods().stream()
                .map(m -> (MethodDescriptor<?, ?>) m)
                .toList());
        Metadata auth = new Metadata();
        auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + cluster.adminToken());
        Channel api = ClientInterceptors.intercept(cluster.channel(), MetadataUtils.newAttachHeadersInterceptor(auth));
        ManagedChannel agent = cluster.hostChannel(host);

        long incidentsBefore = incidentsLogged();
        Map<String, Integer> outcomes = new ConcurrentHashMap<>();
        List<String> violations = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicInteger done = new AtomicInteger();
        int threads = 4;
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Random random = new Random(seed + t);
                running.add(pool.submit(() -> {
                    for (int i = 0; i < CALLS / threads; i++) {
                        MethodDescriptor<?, ?> method = methods.get(random.nextInt(methods.size()));
                        byte[] body = body(method, random);
                        boolean agentCall = method.getServiceName().equals(AgentServiceGrpc.SERVICE_NAME)
                                && !method.getBareMethodName().equals("Enroll");
                        Status status = call(agentCall ? agent : api, method, body);
                        outcomes.merge(status.getCode().name(), 1, Integer::sum);
                        String problem = problem(status);
                        if (problem != null) {
                            violations.add(method.getBareMethodName() + " "
                                    + java.util.HexFormat.of().formatHex(body) + ": " + problem);
                        }
                        if (done.incrementAndGet() % 1000 == 0) {
                            assertThat(cluster.admin()
                                            .listRegions(ListRegionsRequest.getDefaultInstance())
                                            .getRegionsCount())
                                    .as("the server answers after %d calls", done.get())
                                    .isPositive();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get(10, TimeUnit.MINUTES);
            }
        }
        System.out.println("fuzz outcomes " + new TreeMap<>(outcomes));
        assertThat(violations)
                .as("answers without a status and an ErrorInfo (seed %d)", seed)
                .isEmpty();
        assertThat(incidentsLogged() - incidentsBefore)
                .as("internal errors logged (with a stack trace) meanwhile")
                .isZero();
        assertThat(done.get()).isEqualTo(CALLS);
        assertThat(cluster.admin()
                        .listRegions(ListRegionsRequest.getDefaultInstance())
                        .getRegionsCount())
                .isPositive();
    }

    /** Internal errors the control plane logged so far (each one with its stack trace). */
    private static long incidentsLogged() throws java.io.IOException {
        try (var lines = java.nio.file.Files.lines(Path.of("target", "test-logs", "tests.log"))) {
            return lines.filter(l -> l.contains("event=internal_error")).count();
        }
    }

    /** What is wrong with an answer, or null. */
    private static String problem(Status status) {
        if (status.getCode() == Status.Code.UNKNOWN || status.getCode() == Status.Code.INTERNAL) {
            return status.getCode() + " " + status.getDescription();
        }
        return null;
    }

    /** The status of one call with {@code body} as its (only) request message. */
    private static Status call(Channel channel, MethodDescriptor<?, ?> method, byte[] body) {
        MethodDescriptor<byte[], byte[]> raw = method.toBuilder(BYTES, BYTES).build();
        CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS);
        if (method.getType() == MethodDescriptor.MethodType.UNARY) {
            try {
                ClientCalls.blockingUnaryCall(channel, raw, options, body);
                return Status.OK;
            } catch (StatusRuntimeException e) {
                return withErrorInfoChecked(e);
            }
        }
        CompletableFuture<Status> end = new CompletableFuture<>();
        StreamObserver<byte[]> requests =
                ClientCalls.asyncBidiStreamingCall(channel.newCall(raw, options), new StreamObserver<>() {
                    @Override
                    public void onNext(byte[] value) {}

                    @Override
                    public void onError(Throwable t) {
                        end.complete(
                                t instanceof StatusRuntimeException e
                                        ? withErrorInfoChecked(e)
                                        : Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                        end.complete(Status.OK);
                    }
                });
        requests.onNext(body);
        requests.onCompleted();
        try {
            return end.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            return Status.UNKNOWN.withDescription("no answer: " + e);
        }
    }

    /** The status, turned UNKNOWN when it carries no ErrorInfo (so it counts as a violation). */
    private static Status withErrorInfoChecked(StatusRuntimeException e) {
        com.google.rpc.Status details = StatusProto.fromThrowable(e);
        boolean info = details != null && details.getDetailsList().stream().anyMatch(a -> a.is(ErrorInfo.class));
        return info ? e.getStatus() : Status.UNKNOWN.withDescription("no ErrorInfo with " + e.getStatus());
    }

    /** Random bytes, or a real request of the method mangled one way or another. */
    static byte[] body(MethodDescriptor<?, ?> method, Random random) {
        if (random.nextInt(4) == 0) {
            byte[] noise = new byte[random.nextInt(200)];
            random.nextBytes(noise);
            return noise;
        }
        byte[] valid = example(method, random);
        return switch (random.nextInt(5)) {
            case 0 -> flip(valid, random);
            case 1 -> java.util.Arrays.copyOf(valid, valid.length == 0 ? 0 : random.nextInt(valid.length));
            case 2 -> insert(valid, random, new byte[] {0x0a, 0x02, (byte) 0xc3, 0x28}); // field 1: invalid UTF-8
            case 3 -> insert(valid, random, new byte[] {(byte) (8 * (1 + random.nextInt(15)) + 6 + random.nextInt(2))});
            default -> concat(valid, randomBytes(random, 1 + random.nextInt(20)));
        };
    }

    /** A request of the method with every scalar field set to something random. */
    private static byte[] example(MethodDescriptor<?, ?> method, Random random) {
        Message prototype = (Message)
                ((io.grpc.MethodDescriptor.PrototypeMarshaller<?>) method.getRequestMarshaller()).getMessagePrototype();
        return fill(prototype.newBuilderForType(), random, 0).build().toByteArray();
    }

    private static Message.Builder fill(Message.Builder b, Random random, int depth) {
        for (FieldDescriptor f : b.getDescriptorForType().getFields()) {
            if (f.isRepeated() || f.getContainingOneof() != null && random.nextBoolean()) {
                continue;
            }
            switch (f.getJavaType()) {
                case STRING ->
                    b.setField(
                            f,
                            random.nextInt(3) == 0 ? java.util.UUID.randomUUID().toString() : randomText(random));
                case INT -> b.setField(f, random.nextInt(2000) - 100);
                case LONG -> b.setField(f, random.nextLong());
                case BOOLEAN -> b.setField(f, random.nextBoolean());
                case ENUM -> {
                    var values = f.getEnumType().getValues();
                    b.setField(f, values.get(random.nextInt(values.size())));
                }
                case MESSAGE -> {
                    if (depth < 3) {
                        b.setField(
                                f,
                                fill(b.newBuilderForField(f), random, depth + 1).build());
                    }
                }
                default -> {}
            }
        }
        return b;
    }

    private static String randomText(Random random) {
        String[] pieces = {"a", "Z", "-", ".", "é", "\u0000", "\n", "🙂", "test-region", "workspaces.localhost", " "};
        StringBuilder s = new StringBuilder();
        for (int i = random.nextInt(12); i > 0; i--) {
            s.append(pieces[random.nextInt(pieces.length)]);
        }
        return s.toString();
    }

    private static byte[] flip(byte[] b, Random random) {
        byte[] copy = b.clone();
        for (int i = 0; i < 1 + random.nextInt(3) && copy.length > 0; i++) {
            copy[random.nextInt(copy.length)] ^= (byte) (1 << random.nextInt(8));
        }
        return copy;
    }

    private static byte[] insert(byte[] b, Random random, byte[] piece) {
        int at = b.length == 0 ? 0 : random.nextInt(b.length + 1);
        byte[] out = new byte[b.length + piece.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(piece, 0, out, at, piece.length);
        System.arraycopy(b, at, out, at + piece.length, b.length - at);
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] randomBytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}

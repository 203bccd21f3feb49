package dev.spinup.testing.aws;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test fixture, never production code: a wire-level stand-in for the EC2 Auto Scaling and EC2
 * Query APIs (form-encoded POSTs, XML answers) on loopback, for the real AWS SDK clients pointed at
 * it. It keeps one Auto Scaling group with a launch template and a terminate lifecycle hook. When
 * the group's desired capacity rises it "launches" instances: each runs the user data of the
 * group's launch template version with bash, as a new EC2 instance's cloud-init would, with {@link
 * #environment} and {@code INSTANCE_ID}, {@code INSTANCE_DIR} and {@code PORTS} (its own ports) set.
 * An instance terminated through the group waits at the lifecycle hook until the action is
 * completed; then its processes are killed. Every call is recorded; the next calls can be made to
 * answer HTTP 400 Throttling (RequestLimitExceeded for EC2), and the next launch to fail.
 */
public final class AutoScalingStub implements AutoCloseable {
    private static final String ASG_NS = "http://autoscaling.amazonaws.com/doc/2011-01-01/";
    private static final String EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/";

    /** A call as received: its Action and every parameter. */
    public record Call(String action, Map<String, String> params) {}

    /** An instance of the group: its id, lifecycle state and the process its user data runs in. */
    public record Instance(String id, String state, Process process) {}

    /** An activity of the group. */
    public record Activity(String id, String status, String message, Instant start) {}

    private final HttpServer server;
    private final Path root;
    private final String group;
    private final String launchTemplate;
    private final int maxSize;
    private final int firstPort;
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final Map<String, String> environment = new HashMap<>();
    private final Map<Long, String> versions = new LinkedHashMap<>();
    private final Map<String, Long> versionsByClientToken = new HashMap<>();
    private final Map<String, Instance> instances = new LinkedHashMap<>();
    private final List<Activity> activities = new ArrayList<>();
    private final InstanceIdentities identities = new InstanceIdentities();
    private final Map<String, String> warmScripts = new HashMap<>();
    private final AtomicInteger throttleNext = new AtomicInteger();
    private final AtomicInteger throttled = new AtomicInteger();
    private String failNextLaunch;
    private long groupVersion = 1;
    private int desired;
    private int launched;
    private int launchedIds;

    /**
     * @param root where each instance gets its directory
     * @param firstPort the first instance's first port; each gets 20
     */
    public AutoScalingStub(Path root, String group, String launchTemplate, int maxSize, int firstPort) {
        this.root = root;
        this.group = group;
        this.launchTemplate = launchTemplate;
        this.maxSize = maxSize;
        this.firstPort = firstPort;
        versions.put(1L, "");
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.createContext("/imds/", this::imds);
        server.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Signs the instances' identity documents: its certificate stands in for AWS's. */
    public InstanceIdentities identities() {
        return identities;
    }

    /**
     * Puts {@code n} instances in the group's warm pool, stopped: each had run its user data when
     * it was launched into the pool, long ago; when the group takes it into service it boots and
     * runs {@code bootScript} (the bootstrap an image runs at every boot).
     */
    public synchronized List<String> warmPool(int n, String bootScript) {
        List<String> ids = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            String id = newInstanceId();
            instances.put(id, new Instance(id, "Warmed:Stopped", null));
            warmScripts.put(id, bootScript);
            ids.add(id);
        }
        return ids;
    }

    /** The instance metadata service of instance {@code /imds/<id>/...}. */
    private void imds(HttpExchange exchange) throws IOException {
        String rest = exchange.getRequestURI().getPath().substring("/imds/".length());
        int slash = rest.indexOf('/');
        String id = slash < 0 ? rest : rest.substring(0, slash);
        identities.serve(exchange, id, "us-east-1", slash < 0 ? "" : rest.substring(slash));
    }

    /** What every launched instance's user data sees in its environment. */
    public synchronized void environment(Map<String, String> variables) {
        environment.putAll(variables);
    }

    /** The next {@code n} calls answer HTTP 400 Throttling (the SDK retries them). */
    public void throttleNext(int n) {
        throttleNext.set(n);
    }

    /** How many calls were answered with Throttling. */
    public int throttled() {
        return throttled.get();
    }

    /** The next launch fails: its activity ends Failed with {@code message}, no instance started. */
    public synchronized void failNextLaunch(String message) {
        failNextLaunch = message;
    }

    public List<Call> calls() {
        return List.copyOf(calls);
    }

    public synchronized int desired() {
        return desired;
    }

    public synchronized List<Instance> instances() {
        return List.copyOf(instances.values());
    }

    /** The user data of a launch template version, decoded. */
    public synchronized String userData(long version) {
        return versions.get(version);
    }

    private void handle(HttpExchange exchange) throws IOException {
        Map<String, String> params = form(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        String action = params.getOrDefault("Action", "");
        if (throttleNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throttled.incrementAndGet();
            calls.add(new Call(action + " (throttled)", params));
            // EC2 writes its errors its own way, and the SDK reads each service's by its protocol
            boolean ec2 = action.equals("CreateLaunchTemplateVersion");
            respond(
                    exchange,
                    400,
                    error(ec2, ec2 ? "RequestLimitExceeded" : "Throttling", "Rate exceeded", "throttled"));
            return;
        }
        calls.add(new Call(action, params));
        String body;
        synchronized (this) {
            body = switch (action) {
                case "CreateLaunchTemplateVersion" -> createVersion(params);
                case "UpdateAutoScalingGroup" -> {
                    groupVersion = Long.parseLong(params.get("LaunchTemplate.Version"));
                    yield asg(action, "");
                }
                case "DescribeAutoScalingGroups" ->
                    asg(action, "<AutoScalingGroups><member>" + groupXml() + "</member></AutoScalingGroups>");
                case "SetDesiredCapacity" -> {
                    setDesired(Integer.parseInt(params.get("DesiredCapacity")));
                    yield asg(action, null);
                }
                case "DescribeScalingActivities" -> asg(action, activitiesXml(params.get("ActivityIds.member.1")));
                case "TerminateInstanceInAutoScalingGroup" -> terminate(params);
                case "CompleteLifecycleAction" -> complete(params.get("InstanceId"));
                case "DescribeAutoScalingInstances" -> asg(action, instanceXml(params.get("InstanceIds.member.1")));
                case "RecordLifecycleActionHeartbeat" -> {
                    Instance i = instances.get(params.get("InstanceId"));
                    yield i == null || !i.state().equals("Terminating:Wait")
                            ? null // AWS: no active lifecycle action
                            : asg(action, "");
                }
                default -> null;
            };
        }
        if (body == null) {
            respond(exchange, 400, error(false, "ValidationError", action + " cannot be done here", "x"));
            return;
        }
        respond(exchange, 200, body);
    }

    /** An error body as the Auto Scaling Query API or the EC2 API writes it. */
    private static String error(boolean ec2, String code, String message, String requestId) {
        return ec2
                ? "<Response><Errors><Error><Code>" + code + "</Code><Message>" + message
                        + "</Message></Error></Errors><RequestID>" + requestId + "</RequestID></Response>"
                : "<ErrorResponse xmlns=\"" + ASG_NS + "\"><Error><Type>Sender</Type><Code>" + code
                        + "</Code><Message>" + message + "</Message></Error><RequestId>" + requestId
                        + "</RequestId></ErrorResponse>";
    }

    private String createVersion(Map<String, String> params) {
        String token = params.get("ClientToken");
        Long version = token == null ? null : versionsByClientToken.get(token);
        if (version == null) {
            version = (long) versions.size() + 1;
            versions.put(
                    version,
                    new String(
                            Base64.getDecoder().decode(params.getOrDefault("LaunchTemplateData.UserData", "")),
                            StandardCharsets.UTF_8));
            if (token != null) {
                versionsByClientToken.put(token, version);
            }
        }
        return "<CreateLaunchTemplateVersionResponse xmlns=\"" + EC2_NS + "\"><requestId>r</requestId>"
                + "<launchTemplateVersion><launchTemplateId>" + launchTemplate + "</launchTemplateId>"
                + "<versionNumber>" + version + "</versionNumber></launchTemplateVersion>"
                + "</CreateLaunchTemplateVersionResponse>";
    }

    private void setDesired(int wanted) {
        int running = (int) instances.values().stream()
                .filter(i -> i.state().equals("InService"))
                .count();
        desired = wanted;
        String activity = "act-" + (activities.size() + 1);
        if (wanted <= running) {
            activities.addFirst(new Activity(activity, "Successful", "no change", Instant.now()));
            return;
        }
        if (failNextLaunch != null) {
            activities.addFirst(new Activity(activity, "Failed", failNextLaunch, Instant.now()));
            failNextLaunch = null;
            return;
        }
        for (int k = running; k < wanted; k++) {
            String warm = warmScripts.keySet().stream().sorted().findFirst().orElse(null);
            if (warm != null) {
                start(warm, warmScripts.remove(warm)); // the warm pool first, as the group does
            } else {
                launch();
            }
        }
        activities.addFirst(new Activity(
                activity, "Successful", "Launching " + (wanted - running) + " instance(s)", Instant.now()));
    }

    /** A new instance: its user data run by bash, as cloud-init would at first boot. */
    private void launch() {
        start(newInstanceId(), versions.get(groupVersion));
    }

    private String newInstanceId() {
        return String.format("i-%04x%013x", ++launchedIds, System.nanoTime() & 0xfffffffffffffL);
    }

    /** The instance boots into service and runs {@code script}. */
    private void start(String id, String userData) {
        Path dir = root.resolve(id);
        int from = firstPort + 20 * launched++;
        try {
            Files.createDirectories(dir);
            Path script = dir.resolve("user-data");
            Files.writeString(script, userData);
            ProcessBuilder pb = new ProcessBuilder("bash", script.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("user-data.log").toFile());
            pb.environment().putAll(environment);
            pb.environment().put("INSTANCE_ID", id);
            pb.environment().put("INSTANCE_DIR", dir.toString());
            pb.environment().put("PORTS", from + "-" + (from + 19));
            pb.environment().put("IMDS", endpoint() + "/imds/" + id);
            instances.put(id, new Instance(id, "InService", pb.start()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot launch " + id, e);
        }
    }

    private String terminate(Map<String, String> params) {
        String id = params.get("InstanceId");
        Instance i = instances.get(id);
        if (i != null) {
            instances.put(id, new Instance(id, "Terminating:Wait", i.process()));
            if (Boolean.parseBoolean(params.get("ShouldDecrementDesiredCapacity"))) {
                desired--;
            }
        }
        String activity = "act-" + (activities.size() + 1);
        activities.addFirst(new Activity(activity, "InProgress", "Terminating " + id, Instant.now()));
        return asg(
                "TerminateInstanceInAutoScalingGroup",
                "<Activity>" + activityXml(activities.getFirst()) + "</Activity>");
    }

    /**
     * The group terminates an instance on its own (its own scale-in policy, a Spot interruption),
     * decrementing its desired capacity: the instance waits at the terminate lifecycle hook.
     */
    public synchronized void terminateOnItsOwn(String instanceId) {
        terminate(Map.of("InstanceId", instanceId, "ShouldDecrementDesiredCapacity", "true"));
    }

    private String complete(String id) {
        Instance i = instances.remove(id);
        if (i == null || !i.state().equals("Terminating:Wait")) {
            return null; // AWS: no active lifecycle action
        }
        i.process().toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        i.process().destroyForcibly();
        return asg("CompleteLifecycleAction", "");
    }

    private String groupXml() {
        StringBuilder xml = new StringBuilder("<AutoScalingGroupName>" + group + "</AutoScalingGroupName>"
                + "<MinSize>0</MinSize><MaxSize>" + maxSize + "</MaxSize><DesiredCapacity>" + desired
                + "</DesiredCapacity><LaunchTemplate><LaunchTemplateId>" + launchTemplate
                + "</LaunchTemplateId><Version>" + groupVersion + "</Version></LaunchTemplate><Instances>");
        for (Instance i : instances.values()) {
            if (i.state().startsWith("Warmed:")) {
                continue; // listed by DescribeWarmPool, not among the group's instances
            }
            xml.append("<member><InstanceId>")
                    .append(i.id())
                    .append("</InstanceId><LifecycleState>")
                    .append(i.state())
                    .append("</LifecycleState><HealthStatus>Healthy</HealthStatus>")
                    .append("<AvailabilityZone>us-east-1a</AvailabilityZone>")
                    .append("<ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>");
        }
        return xml.append("</Instances>").toString();
    }

    private String instanceXml(String id) {
        Instance i = instances.get(id);
        return "<AutoScalingInstances>"
                + (i == null
                        ? ""
                        : "<member><InstanceId>" + id + "</InstanceId><AutoScalingGroupName>" + group
                                + "</AutoScalingGroupName><AvailabilityZone>us-east-1a</AvailabilityZone>"
                                + "<LifecycleState>" + i.state() + "</LifecycleState><HealthStatus>HEALTHY"
                                + "</HealthStatus><ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>")
                + "</AutoScalingInstances>";
    }

    private String activitiesXml(String only) {
        StringBuilder xml = new StringBuilder("<Activities>");
        for (Activity a : activities) {
            if (only == null || only.equals(a.id())) {
                xml.append("<member>").append(activityXml(a)).append("</member>");
            }
        }
        return xml.append("</Activities>").toString();
    }

    private String activityXml(Activity a) {
        return "<ActivityId>" + a.id() + "</ActivityId><AutoScalingGroupName>" + group
                + "</AutoScalingGroupName><StatusCode>" + a.status() + "</StatusCode><StatusMessage>"
                + a.message() + "</StatusMessage><Cause>spinup</Cause><StartTime>" + a.start()
                + "</StartTime><Progress>100</Progress>";
    }

    /** An Auto Scaling answer; {@code result} null: the action has no Result element. */
    private static String asg(String action, String result) {
        return "<" + action + "Response xmlns=\"" + ASG_NS + "\">"
                + (result == null ? "" : "<" + action + "Result>" + result + "</" + action + "Result>")
                + "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></" + action + "Response>";
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/xml");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private static Map<String, String> form(String body) {
        Map<String, String> params = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.put(key, value);
        }
        return params;
    }

    /** Stops the server and kills every instance's processes. */
    @Override
    public synchronized void close() {
        server.stop(0);
        for (Instance i : instances.values()) {
            if (i.process() != null) { // a warm pool's instance runs nothing
                i.process().toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
                i.process().destroyForcibly();
            }
        }
    }
}

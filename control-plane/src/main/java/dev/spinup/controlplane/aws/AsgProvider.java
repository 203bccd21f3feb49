package dev.spinup.controlplane.aws;

import static java.util.Objects.requireNonNull;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Host;
import dev.spinup.controlplane.core.ScalingActivity;
import dev.spinup.controlplane.fleet.CapacityProvider;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.Activity;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.LaunchTemplateSpecification;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.RequestLaunchTemplateData;

/**
 * The {@code aws-asg} capacity provider: each elastic region is backed by an EC2 Auto Scaling
 * group. A scale-up writes a new version of the group's launch template whose user data carries
 * one one-time enrollment token per new instance (made from the operator's user-data template;
 * the launch template's other settings are kept), points the group at that version, and raises
 * its desired capacity to the decision's goal — an absolute value, so asking twice (after a
 * crash) adds nothing; the group's warm pool, if it has one, is used by the group itself. The
 * record is the group's scaling activity that answered. Scale-in terminates the instance through
 * the group (decrementing its desired capacity); the group's terminate lifecycle hook holds it in
 * Terminating:Wait, and the action is completed at once, the host being drained and empty. An
 * instance the group terminates on its own waits at the same hook: its host is {@link #leaving},
 * evacuated, its action heartbeated meanwhile ({@link #holdLeaving}), and completed once empty.
 *
 * <p>A host's name is its instance id ({@code i-…}, the user data enrolls it so): that is how a
 * host is matched to its instance.
 */
public final class AsgProvider implements CapacityProvider {
    public static final String NAME = "aws-asg";

    /**
     * @param groups the Auto Scaling group of each region it grows
     * @param launchTemplateId the groups' launch template (each scale-up writes a version of it)
     * @param userData the user-data template: {@code {{tokens}}} (space separated), {{region}},
     *     {{activity}} are filled in
     * @param lifecycleHook the groups' terminate lifecycle hook (completed when a host is released)
     * @param hostCapacity what one instance offers
     * @param endpoint a stand-in for the AWS endpoints (tests); null: AWS's own
     * @param accessKey null: the default credentials chain (instance profile, environment)
     * @param identityCertificatePem AWS's RSA-2048 certificate for instance identity documents in
     *     {@code awsRegion}: with it, an instance of a group may enroll by its signed identity
     *     (a warm pool's, entering service); null: tokens only
     */
    public record Config(
            Map<String, String> groups,
            String launchTemplateId,
            String userData,
            String lifecycleHook,
            Envelope hostCapacity,
            String awsRegion,
            URI endpoint,
            String accessKey,
            String secretKey,
            String identityCertificatePem) {
        public Config {
            groups = Map.copyOf(groups);
            requireNonNull(launchTemplateId, "launchTemplateId");
            requireNonNull(userData, "userData");
            requireNonNull(lifecycleHook, "lifecycleHook");
            requireNonNull(hostCapacity, "hostCapacity");
            requireNonNull(awsRegion, "awsRegion");
        }
    }

    private final Config config;
    private final AutoScalingClient autoscaling;
    private final Ec2Client ec2;
    private final InstanceIdentity identity; // null: no certificate configured

    public AsgProvider(Config config) {
        this.config = config;
        AwsCredentialsProvider credentials = AwsCredentials.of(config.accessKey(), config.secretKey());
        var asg = AutoScalingClient.builder()
                .region(Region.of(config.awsRegion()))
                .credentialsProvider(credentials);
        var ec2Builder =
                Ec2Client.builder().region(Region.of(config.awsRegion())).credentialsProvider(credentials);
        if (config.endpoint() != null) {
            asg.endpointOverride(config.endpoint());
            ec2Builder.endpointOverride(config.endpoint());
        }
        this.autoscaling = asg.build();
        this.ec2 = ec2Builder.build();
        this.identity = config.identityCertificatePem() == null
                ? null
                : new InstanceIdentity(
                        config.identityCertificatePem(), config.awsRegion(), config.groups(), autoscaling);
    }

    /** What proves an instance of the groups that enrolls with no token; empty without AWS's certificate. */
    public Optional<dev.spinup.controlplane.fleet.InstanceAttestor> attestor() {
        return Optional.ofNullable(identity);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Envelope hostCapacity() {
        return config.hostCapacity();
    }

    @Override
    public String add(ScalingActivity a, Supplier<String> tokens) {
        String group = group(a.regionId());
        List<String> made = new ArrayList<>();
        for (int i = a.hostsBefore(); i < a.hostsWanted(); i++) {
            made.add(tokens.get());
        }
        String userData = config.userData()
                .replace("{{tokens}}", String.join(" ", made))
                .replace("{{region}}", a.regionId())
                .replace("{{activity}}", a.id().toString());
        long version = ec2.createLaunchTemplateVersion(r -> r.launchTemplateId(config.launchTemplateId())
                        .sourceVersion("$Default")
                        .clientToken(a.id().toString()) // the same decision asked again makes no second version
                        .versionDescription("spinup scale-up " + a.id())
                        .launchTemplateData(RequestLaunchTemplateData.builder()
                                .userData(Base64.getEncoder().encodeToString(userData.getBytes(StandardCharsets.UTF_8)))
                                .build()))
                .launchTemplateVersion()
                .versionNumber();
        AutoScalingGroup now = describe(group);
        autoscaling.updateAutoScalingGroup(r -> r.autoScalingGroupName(group)
                .launchTemplate(LaunchTemplateSpecification.builder()
                        .launchTemplateId(config.launchTemplateId())
                        .version(Long.toString(version))
                        .build()));
        int desired = Math.max(now.desiredCapacity(), a.hostsWanted());
        if (desired > now.maxSize()) {
            throw new IllegalStateException("group " + group + " has a max size of " + now.maxSize() + ", "
                    + a.hostsWanted() + " hosts were wanted");
        }
        autoscaling.setDesiredCapacity(
                r -> r.autoScalingGroupName(group).desiredCapacity(desired).honorCooldown(false));
        String activity =
                autoscaling
                        .describeScalingActivities(
                                r -> r.autoScalingGroupName(group).maxRecords(1))
                        .activities()
                        .stream()
                        .findFirst()
                        .map(Activity::activityId)
                        .orElse("desired=" + desired);
        return "asg:" + group + ":" + activity;
    }

    /** The group's activity failed or was cancelled: its status message. */
    @Override
    public Optional<String> failure(String record) {
        String[] parts = record.split(":", 3);
        if (parts.length < 3 || parts[2].startsWith("desired=")) {
            return Optional.empty();
        }
        return autoscaling
                .describeScalingActivities(r -> r.autoScalingGroupName(parts[1]).activityIds(parts[2]))
                .activities()
                .stream()
                .filter(act -> act.statusCodeAsString().equals("Failed")
                        || act.statusCodeAsString().equals("Cancelled"))
                .findFirst()
                .map(act -> "scaling activity " + parts[2] + " "
                        + act.statusCodeAsString().toLowerCase(java.util.Locale.ROOT) + ": " + act.statusMessage());
    }

    @Override
    public boolean owns(Host host) {
        return config.groups().containsKey(host.regionId()) && instanceId(host).startsWith("i-");
    }

    /**
     * Terminates the host's instance through its group, which holds it at its terminate lifecycle
     * hook; the action is then completed (the host is drained and empty). Both are safe to repeat:
     * an instance already gone or no longer waiting is left as it is.
     */
    @Override
    public void release(String region, Host host) {
        String group = group(region);
        String instance = instanceId(host);
        Optional<String> state = describe(group).instances().stream()
                .filter(i -> i.instanceId().equals(instance))
                .map(i -> i.lifecycleStateAsString())
                .findFirst();
        if (state.isEmpty()) {
            return; // terminated already
        }
        if (!state.get().startsWith("Terminating")) {
            autoscaling.terminateInstanceInAutoScalingGroup(
                    r -> r.instanceId(instance).shouldDecrementDesiredCapacity(true));
        }
        autoscaling.completeLifecycleAction(r -> r.autoScalingGroupName(group)
                .lifecycleHookName(config.lifecycleHook())
                .instanceId(instance)
                .lifecycleActionResult("CONTINUE"));
    }

    /** The hosts whose instances wait at the terminate hook without SpinUp having released them. */
    @Override
    public List<Host> leaving(String region, List<Host> hosts) {
        java.util.Set<String> terminating = describe(group(region)).instances().stream()
                .filter(i -> i.lifecycleStateAsString().equals("Terminating:Wait"))
                .map(i -> i.instanceId())
                .collect(java.util.stream.Collectors.toSet());
        return hosts.stream().filter(h -> terminating.contains(instanceId(h))).toList();
    }

    /** Records a heartbeat of the lifecycle action: the group waits another hook timeout. */
    @Override
    public void holdLeaving(String region, Host host) {
        autoscaling.recordLifecycleActionHeartbeat(r -> r.autoScalingGroupName(group(region))
                .lifecycleHookName(config.lifecycleHook())
                .instanceId(instanceId(host)));
    }

    private AutoScalingGroup describe(String group) {
        return autoscaling.describeAutoScalingGroups(r -> r.autoScalingGroupNames(group)).autoScalingGroups().stream()
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no Auto Scaling group " + group));
    }

    private String group(String region) {
        String group = config.groups().get(region);
        if (group == null) {
            throw new IllegalStateException("region " + region + " names no Auto Scaling group (--asg-groups)");
        }
        return group;
    }

    private static String instanceId(Host host) {
        int dot = host.fqdn().indexOf('.');
        return dot < 0 ? host.fqdn() : host.fqdn().substring(0, dot);
    }
}

package dev.spinup.controlplane.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.fleet.InstanceAttestor;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingInstanceDetails;

/**
 * An EC2 instance's identity, proved: its instance identity document and the {@code rsa2048}
 * signature of it (PKCS#7 signed data, SHA-256 with RSA, the document inside) verified with AWS's
 * RSA-2048 public certificate for the groups' region, the document's region that one, and the
 * instance — asked of Auto Scaling — in service (or entering it) in the group of a region.
 */
final class InstanceIdentity implements InstanceAttestor {
    /** The lifecycle states of an instance that is, or is becoming, in service (not warmed in a pool). */
    private static final Set<String> IN_SERVICE = Set.of("Pending", "Pending:Wait", "Pending:Proceed", "InService");

    private final X509Certificate aws;
    private final String awsRegion;
    private final Map<String, String> regionByGroup;
    private final AutoScalingClient autoscaling;

    /** @param certificatePem AWS's RSA-2048 certificate for instance identity documents in {@code awsRegion} */
    InstanceIdentity(
            String certificatePem, String awsRegion, Map<String, String> groups, AutoScalingClient autoscaling) {
        try {
            this.aws = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(certificatePem.getBytes(StandardCharsets.US_ASCII)));
        } catch (Exception e) {
            throw new IllegalArgumentException("not an X.509 certificate in PEM: " + e.getMessage(), e);
        }
        this.awsRegion = awsRegion;
        this.regionByGroup =
                groups.entrySet().stream().collect(Collectors.toMap(Map.Entry::getValue, Map.Entry::getKey));
        this.autoscaling = autoscaling;
    }

    @Override
    public Attested attest(String document, String rsa2048) {
        byte[] signed = verified(rsa2048);
        if (!Arrays.equals(signed, document.getBytes(StandardCharsets.UTF_8))) {
            throw invalid("the signature is of another document", null);
        }
        JsonNode doc;
        try {
            doc = new ObjectMapper().readTree(signed);
        } catch (java.io.IOException e) {
            throw invalid("the identity document is not JSON", null);
        }
        String instanceId = doc.path("instanceId").asText("");
        if (!instanceId.matches("i-[0-9a-f]{8,17}")) {
            throw invalid("the identity document names no instance", null);
        }
        if (!awsRegion.equals(doc.path("region").asText())) {
            throw invalid(
                    "instance " + instanceId + " is in " + doc.path("region").asText() + ", the groups in " + awsRegion,
                    instanceId);
        }
        AutoScalingInstanceDetails instance;
        try {
            instance =
                    autoscaling
                            .describeAutoScalingInstances(r -> r.instanceIds(instanceId))
                            .autoScalingInstances()
                            .stream()
                            .findFirst()
                            .orElseThrow(() ->
                                    invalid("instance " + instanceId + " is in no Auto Scaling group", instanceId));
        } catch (software.amazon.awssdk.core.exception.SdkException e) {
            throw new SpinUpException(
                    SpinUpException.Kind.UNAVAILABLE,
                    ErrorReason.DEPENDENCY_UNAVAILABLE,
                    "cannot ask Auto Scaling about instance " + instanceId + ": " + e.getMessage(),
                    Map.of("instanceId", instanceId));
        }
        String region = regionByGroup.get(instance.autoScalingGroupName());
        if (region == null) {
            throw invalid(
                    "instance " + instanceId + " is in group " + instance.autoScalingGroupName()
                            + ", which backs no region",
                    instanceId);
        }
        if (!IN_SERVICE.contains(instance.lifecycleState())) {
            throw invalid(
                    "instance " + instanceId + " is " + instance.lifecycleState()
                            + ", not in service (a warm pool's instance enrolls when it enters service)",
                    instanceId);
        }
        return new Attested(instanceId, region);
    }

    /** The content AWS signed, once the signature is verified with its certificate. */
    private byte[] verified(String rsa2048) {
        try {
            CMSSignedData data = new CMSSignedData(Base64.getMimeDecoder().decode(rsa2048));
            var signers = data.getSignerInfos().getSigners();
            if (signers.isEmpty() || data.getSignedContent() == null) {
                throw invalid("the signature holds no signer or no document", null);
            }
            for (SignerInformation signer : signers) {
                if (!signer.verify(new JcaSimpleSignerInfoVerifierBuilder().build(aws))) {
                    throw invalid("the signature is not AWS's", null);
                }
            }
            return (byte[]) data.getSignedContent().getContent();
        } catch (SpinUpException e) {
            throw e;
        } catch (Exception e) {
            throw invalid("the signature is not AWS's: " + e.getMessage(), null);
        }
    }

    private static SpinUpException invalid(String message, String instanceId) {
        return new SpinUpException(
                SpinUpException.Kind.UNAUTHENTICATED,
                ErrorReason.ENROLLMENT_IDENTITY_INVALID,
                message,
                instanceId == null ? Map.of() : Map.of("instanceId", instanceId));
    }
}

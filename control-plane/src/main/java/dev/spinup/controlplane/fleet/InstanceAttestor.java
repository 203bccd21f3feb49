package dev.spinup.controlplane.fleet;

/**
 * Proves that a machine asking to enroll with no token is a cloud instance SpinUp's capacity
 * provider runs for a region, in service there: for an Auto Scaling group's warm pool, whose
 * instances enter service long after any token in their user data has expired.
 */
public interface InstanceAttestor {
    /** An instance proved: its id, and the region whose group holds it. */
    record Attested(String instanceId, String region) {}

    /**
     * Checks {@code signature} is the cloud's own over {@code document}, and that its instance is
     * in service in a region's group. Called outside any transaction (it asks the cloud).
     *
     * @throws dev.spinup.controlplane.core.SpinUpException ENROLLMENT_IDENTITY_INVALID, with why
     */
    Attested attest(String document, String signature);
}

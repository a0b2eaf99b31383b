@supply_chain
Feature: Software supply chain
  Only software the platform built and can account for runs in a cell: images come from
  trusted registries, are named by their digest (a fingerprint of their exact content), are
  signed by the release pipeline and are described by a software bill of materials (SBOM).

  Background:
    Given the cell under audit

  @KZ-SUP-01 @SOC2-CC7.1 @SOC2-CC8.1 @ISO27001-A.8.19 @ISO27001-A.8.32 @NIST-800-53-CM-14 @NIST-800-53-SI-7 @NIST-800-53-SR-4 @CIS-5.5.1
  Scenario: Every container image comes from a trusted registry and is pinned by digest
    When its container images are analysed
    Then every container image comes from a trusted registry and is referenced by its digest

  @KZ-SUP-02 @SOC2-CC7.1 @SOC2-CC8.1 @ISO27001-A.5.21 @ISO27001-A.8.19 @ISO27001-A.8.32 @NIST-800-53-SI-7 @NIST-800-53-SI-7(15) @NIST-800-53-CM-14 @NIST-800-53-SR-4 @CIS-5.5.1
  Scenario: Every image that runs is signed by the platform's release pipeline
    When its image signatures are analysed
    Then every image digest the cell runs has a Sigstore signature that verifies and was made by a configured signer whose issuer and subject match exactly

  @KZ-SUP-03 @SOC2-CC7.1 @SOC2-CC8.1 @ISO27001-A.5.21 @ISO27001-A.8.19 @ISO27001-A.8.32 @NIST-800-53-CM-14 @NIST-800-53-SI-7 @NIST-800-53-SI-7(15) @NIST-800-53-SR-4 @CIS-5.5.1
  Scenario: The cluster refuses unverified images in every tenant and shared namespace
    When its namespaces and image verification policies are analysed
    Then every tenant and shared-plane namespace is covered by an admission check that refuses images whose signature does not verify when a pod is created

  @KZ-SUP-04 @SOC2-CC7.1 @SOC2-CC9.2 @ISO27001-A.5.9 @ISO27001-A.5.21 @ISO27001-A.8.8 @NIST-800-53-CM-8 @NIST-800-53-SR-4 @NIST-800-53-SA-8
  Scenario: A customer-VPC cell ships an SBOM for exactly the images it runs
    When its SBOMs are analysed
    Then in a customer-VPC cell every image that runs is pinned by digest and has a valid CycloneDX SBOM made for that exact digest

  @KZ-SUP-05 @SOC2-CC7.1 @SOC2-CC9.2 @ISO27001-A.5.21 @ISO27001-A.5.32 @ISO27001-A.8.8 @NIST-800-53-CM-8 @NIST-800-53-CM-10 @NIST-800-53-SR-4
  Scenario: Every SBOM component can be identified and carries no denied license
    When its SBOMs are analysed
    Then every component listed in an SBOM has a package URL, a version and a hash, and no component can be used without accepting a license on the deny list

  @KZ-SUP-06 @SOC2-CC8.1 @ISO27001-A.8.25 @ISO27001-A.8.32 @NIST-800-53-CM-2 @NIST-800-53-SA-10 @NIST-800-53-SR-4
  Scenario: Dockerfiles pin their base images by digest
    When its Dockerfiles are analysed
    Then every base image a Dockerfile pulls is pinned by a digest written in the Dockerfile itself

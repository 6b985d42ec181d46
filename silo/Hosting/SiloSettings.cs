using System.ComponentModel.DataAnnotations;

namespace Billing.Silo.Hosting;

/// <summary>Cluster identity and endpoints of a silo (section <c>Orleans</c>).</summary>
public sealed class SiloSettings
{
    public const string Section = "Orleans";

    /// <summary>Silos and clients with the same ClusterId (and storage account) form one cluster.</summary>
    [Required] public string ClusterId { get; set; } = "billing-local";

    /// <summary>Stable across deployments: reminders and grain state are keyed by it.</summary>
    [Required] public string ServiceId { get; set; } = "billing";

    [Range(1, 65535)] public int SiloPort { get; set; } = 11111;

    [Range(1, 65535)] public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// The address other silos and clients reach this silo on; empty means this machine's own (non-loopback) address,
    /// which is what a replica on a container platform needs.
    /// </summary>
    public string AdvertisedIP { get; set; } = "127.0.0.1";
}

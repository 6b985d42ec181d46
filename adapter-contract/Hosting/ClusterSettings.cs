using Microsoft.Extensions.Configuration;

namespace Billing.Hosting;

/// <summary>Which cluster a client joins (section <c>Orleans</c>); it finds the gateways in the membership table of the storage account.</summary>
public sealed class ClusterSettings
{
    public const string Section = "Orleans";

    /// <summary><c>Orleans:ClusterId</c>: silos and clients with the same id (and storage account) form one cluster.</summary>
    public string ClusterId { get; set; } = "billing-local";

    /// <summary><c>Orleans:ServiceId</c>: stable across deployments; grain state and reminders are keyed by it.</summary>
    public string ServiceId { get; set; } = "billing";

    /// <summary>Binds the section and refuses empty ids, naming the setting.</summary>
    public static ClusterSettings From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var settings = configuration.GetSection(Section).Get<ClusterSettings>() ?? new ClusterSettings();
        if (string.IsNullOrWhiteSpace(settings.ClusterId))
            throw new InvalidOperationException($"{Section}:ClusterId is required.");
        if (string.IsNullOrWhiteSpace(settings.ServiceId))
            throw new InvalidOperationException($"{Section}:ServiceId is required.");
        return settings;
    }
}

using System.ComponentModel.DataAnnotations;

namespace Billing.Api.Hosting;

/// <summary>Which cluster the API's Orleans client joins (section <c>Orleans</c>); it finds gateways in the membership table.</summary>
public sealed class ClusterSettings
{
    public const string Section = "Orleans";

    [Required] public string ClusterId { get; set; } = "billing-local";

    [Required] public string ServiceId { get; set; } = "billing";
}

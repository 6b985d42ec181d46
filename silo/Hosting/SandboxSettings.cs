namespace Billing.Silo.Hosting;

/// <summary>
/// The one payment setting the silo's host reads itself (section <c>Payments</c>; the grains bind the rest): whether a
/// deployment outside Development may run on the sandbox gateway. Off by default, so a deployment that forgets
/// <c>Payments:Gateway</c> refuses to start instead of taking sandbox money (<see cref="Billing.Hosting.ProductionGuards"/>).
/// </summary>
public sealed class SandboxSettings
{
    public const string Section = "Payments";

    /// <summary>True in a test environment deployed on the sandbox gateway (its test clocks then work too).</summary>
    public bool AllowSandbox { get; set; }
}

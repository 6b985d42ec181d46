namespace Billing.Apps;

/// <summary>
/// One app (keyed by its id): the workspace it belongs to, its product, plan and seat model. Metering reads it
/// to know whom to bill; the workspace owns who may see it.
/// </summary>
public interface IAppGrain : IGrainWithStringKey
{
    /// <summary>Registers the app. Fails with <c>app.exists</c> if it was already created.</summary>
    Task<AppView> Create(CreateApp command);

    /// <summary>The app, or null when it does not exist.</summary>
    Task<AppView?> Get();

    /// <summary>
    /// P1, W4: moves the app to <paramref name="plan"/> (a subscription, its lapse, an Enterprise upgrade). The app's
    /// wallet is told at once so that sessions opening from then on are priced by the new plan's rates; the request
    /// cap (B8) of the new plan applies from the next day's usage log. Idempotent.
    /// </summary>
    Task<AppView> ChangePlan(UsagePlan plan);
}

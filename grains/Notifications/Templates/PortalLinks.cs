namespace Billing.Notifications.Templates;

/// <summary>
/// Every link an email carries, built from the one configured portal base URL (<see cref="NotificationOptions.PortalBaseUrl"/>),
/// so that moving the portal is one setting. Ids are escaped as path segments.
/// </summary>
public sealed class PortalLinks(string baseUrl)
{
    private readonly string _base = baseUrl.TrimEnd('/');

    public string ControlPanel(string workspaceId) => $"{_base}/workspaces/{Seg(workspaceId)}";

    public string App(string workspaceId, string appId) => $"{ControlPanel(workspaceId)}/apps/{Seg(appId)}";

    public string RechargeNow(string workspaceId, string appId) => $"{App(workspaceId, appId)}/wallet/recharge";

    public string ReactivateAutoReload(string workspaceId, string appId) => $"{App(workspaceId, appId)}/wallet/auto-reload";

    public string UpdatePaymentMethod(string workspaceId, string? appId) =>
        appId is { Length: > 0 } ? $"{App(workspaceId, appId)}/payment-methods" : $"{ControlPanel(workspaceId)}/payment-methods";

    public string ExploreBenefits(string workspaceId) => $"{ControlPanel(workspaceId)}/plans";

    public string Invoice(string workspaceId, string invoiceNumber) => $"{ControlPanel(workspaceId)}/invoices/{Seg(invoiceNumber)}";

    public string ConfirmSignUp(string userId, string requestId) => $"{_base}/sign-up/confirm?user={Seg(userId)}&request={Seg(requestId)}";

    /// <summary>The invitation's page; accepting needs the workspace as well as the invitation (the API's route).</summary>
    public string AcceptInvitation(string workspaceId, string invitationId) => $"{ControlPanel(workspaceId)}/invitations/{Seg(invitationId)}";

    private static string Seg(string value) => Uri.EscapeDataString(value);
}

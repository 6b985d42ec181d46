namespace Billing.Apps;

/// <summary>
/// One app (keyed by its id): the workspace it belongs to, its product, plan and seat model. Metering reads it
/// to know whom to bill; the workspace owns who may see it.
/// </summary>
public interface IAppGrain : IGrainWithStringKey
{
    /// <summary>Registers the app. Fails with <c>app.exists</c> if it was already created.</summary>
    Task<AppView> Create(CreateApp command);

    /// <summary>The app, or null when it does not exist (or was deleted).</summary>
    /// <remarks>
    /// A read that interleaves: the app's wallet reads it while activating, and the app may be the one that woke the
    /// wallet (<see cref="ChangePlan"/> tells it, <see cref="RequestPublish"/> reads its balance) from inside its turn.
    /// </remarks>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<AppView?> Get();

    /// <summary>
    /// P1, W4: moves the app to <paramref name="plan"/> (a subscription, its lapse, an Enterprise upgrade). The app's
    /// wallet is told at once so that sessions opening from then on are priced by the new plan's rates; the request
    /// cap (B8) of the new plan applies from the next day's usage log. Idempotent.
    /// </summary>
    Task<AppView> ChangePlan(UsagePlan plan);

    /// <summary>Renames the app.</summary>
    Task<AppView> Rename(string name);

    /// <summary>B5: the seat model of a Contact Center AI or Agent AI app; it applies from the next billing period's count.</summary>
    Task<AppView> SetSeatModel(SeatModel seatModel);

    /// <summary>W2: puts a workspace member on the app's team as a Collaborator, or takes them off.</summary>
    Task<AppView> SetCollaborator(string userId, bool onTeam);

    /// <summary>
    /// W3: all owner rights move to <paramref name="newOwnerUserId"/> (any workspace member, on the team or not); the
    /// previous owner keeps <paramref name="previousOwnerRole"/>. A retry of the same transfer changes nothing more.
    /// </summary>
    Task<AppView> TransferOwnership(string newOwnerUserId, PreviousOwnerRole previousOwnerRole);

    /// <summary>Deletes the app. Refused while its paid wallet holds money (ask support for a refund first).</summary>
    Task Delete();

    /// <summary>
    /// D1: asks to publish. In an Enterprise workspace, or with paid credits, the app publishes at once; on free credits
    /// only it waits for an admin's approval unless auto-approval is on; with neither it is refused with the reason.
    /// The first publish raises <c>AppFirstPublished</c> (D2).
    /// </summary>
    Task<AppView> RequestPublish(string requestedByUserId);

    /// <summary>D1: an admin approves the open publish request; the credits are checked again at that moment.</summary>
    Task<AppView> ApprovePublish(string approvedByUserId);

    /// <summary>D1: an admin rejects the open publish request, with a reason.</summary>
    Task<AppView> RejectPublish(string rejectedByUserId, string reason);

    /// <summary>D1: auto-approval of publishes on free credits; it can be switched on only once paid credits were purchased.</summary>
    Task<AppView> SetAutoApproval(bool enabled);
}

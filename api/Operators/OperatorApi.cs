using System.ComponentModel.DataAnnotations;
using Billing.Api.Auth;
using Billing.Errors;
using Billing.Ledgers;
using Billing.Users;
using Billing.Wallets;
using Billing.Workspaces;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Api.Operators;

/// <summary>The body of an operator's grant or adjustment (C7): the reason is mandatory and kept in the ledger.</summary>
public sealed record CreditAdjustmentRequest(
    [property: Required] LedgerEntryKind? Kind,
    [property: Required] decimal? AmountUsd,
    [property: Required, StringLength(AdjustmentLimits.MaxReasonLength, MinimumLength = 1)] string Reason);

/// <summary>An operator's workspace-creation limit for one user: workspaces in any 30 days (null: back to the default).</summary>
public sealed record WorkspaceAllowanceRequest(
    [property: Range(1, 1000)] int? PerThirtyDays,
    [property: Required, StringLength(500, MinimumLength = 1)] string Reason);

/// <summary>Operator endpoints (support staff): callers carry the <c>role</c> claim <see cref="OperatorRole"/>.</summary>
public static partial class OperatorApi
{
    public const string Policy = "Operator";
    public const string OperatorRole = "billing-operator";

    public static IEndpointRouteBuilder MapOperatorApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/operator").WithTags("Operators").RequireAuthorization(Policy);
        group.MapPost("/apps/{appId}/credits", AdjustApp).WithName("AdjustAppCredits");
        group.MapPost("/workspaces/{workspaceId}/free-credits", AdjustWorkspace).WithName("AdjustFreeCredits");
        group.MapGet("/users/{userId}/workspace-allowance", GetAllowance).WithName("GetWorkspaceAllowance");
        group.MapPut("/users/{userId}/workspace-allowance", SetAllowance).WithName("SetWorkspaceAllowance");
        return routes;
    }

    /// <summary>How many workspaces the user created in the last 30 days, their limit and when the next is possible.</summary>
    private static async Task<Ok<WorkspaceAllowance>> GetAllowance(string userId, IClusterClient cluster) =>
        TypedResults.Ok(await Allowance(cluster, userId).Get());

    /// <summary>Lifts (or restores) one user's workspace-creation limit, e.g. for an agency that runs many workspaces.</summary>
    private static async Task<Ok<WorkspaceAllowance>> SetAllowance(string userId, WorkspaceAllowanceRequest request, HttpContext http, IClusterClient cluster) =>
        TypedResults.Ok(await Allowance(cluster, userId).SetLimit(request.PerThirtyDays, http.User.UserId(), request.Reason));

    private static IWorkspaceAllowanceGrain Allowance(IClusterClient cluster, string userId)
    {
        if (string.IsNullOrEmpty(userId) || userId.Length > UserLimits.MaxUserIdLength)
            throw BillingException.Invalid("userId", "user.id.invalid", $"A user id is 1 to {UserLimits.MaxUserIdLength} characters.");
        return cluster.GetGrain<IWorkspaceAllowanceGrain>(UserKeys.GrainKey(userId));
    }

    /// <summary>A grant to or an adjustment of an app's paid wallet, audited in its ledger; idempotent on the <c>Idempotency-Key</c> header.</summary>
    private static async Task<Ok<LedgerEntry>> AdjustApp(string appId, CreditAdjustmentRequest request, HttpContext http, IClusterClient cluster, ILoggerFactory logs)
    {
        AppIds.ThrowIfMalformed(appId);
        var adjustment = ToAdjustment(request, http);
        var entry = await cluster.GetGrain<IAppWalletGrain>(appId).Adjust(adjustment);
        var logger = logs.CreateLogger(typeof(OperatorApi));
        LogAdjusted(logger, nameof(IAppWalletGrain), appId, adjustment.OperatorId, adjustment.Kind, adjustment.AmountUsd, entry.Account, entry.Seq, adjustment.Reason);
        return TypedResults.Ok(entry);
    }

    private static async Task<Ok<LedgerEntry>> AdjustWorkspace(string workspaceId, CreditAdjustmentRequest request, HttpContext http, IClusterClient cluster, ILoggerFactory logs)
    {
        WorkspaceIds.ThrowIfMalformed(workspaceId);
        var adjustment = ToAdjustment(request, http);
        var entry = await cluster.GetGrain<IFreeCreditPoolGrain>(workspaceId).Adjust(adjustment);
        var logger = logs.CreateLogger(typeof(OperatorApi));
        LogAdjusted(logger, nameof(IFreeCreditPoolGrain), workspaceId, adjustment.OperatorId, adjustment.Kind, adjustment.AmountUsd, entry.Account, entry.Seq, adjustment.Reason);
        return TypedResults.Ok(entry);
    }

    /// <summary>C7: the ledger entry is the audit record; this line lets an operator find it from the logs (a replay logs again).</summary>
    [LoggerMessage(Level = LogLevel.Information, Message = "{GrainType} {Key}: operator {OperatorId} posted {Kind} of {AmountUsd} USD to {Account} (entry {Seq}): {Reason}")]
    private static partial void LogAdjusted(ILogger logger, string grainType, string key, string operatorId, LedgerEntryKind kind, decimal amountUsd, string account, long seq, string reason);

    private static WalletAdjustment ToAdjustment(CreditAdjustmentRequest request, HttpContext http)
    {
        var key = http.Request.Headers["Idempotency-Key"].ToString();
        if (string.IsNullOrWhiteSpace(key) || key.Length > 200)
            throw BillingException.Invalid("Idempotency-Key", "idempotency-key.required", "Money-moving calls carry an Idempotency-Key header of 1 to 200 characters.");
        // The grain validates kind, amount and reason (one place for the rule) and answers a problem naming the field.
        return new WalletAdjustment(request.Kind!.Value, request.AmountUsd!.Value, request.Reason, http.User.UserId(), key);
    }
}

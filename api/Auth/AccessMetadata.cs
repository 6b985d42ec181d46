using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Billing.Api.Auth;

/// <summary>
/// Who an endpoint lets in, declared beside its mapping and published in the OpenAPI document as
/// <c>x-billing-access</c>, so that the security suite checks every other role against it. The handler's
/// <see cref="Access"/> call is what enforces it; the suite proves the two agree for every refused role.
/// </summary>
/// <param name="Roles">
/// Workspace roles (<c>Owner</c>, <c>Admin</c>, <c>Member</c>), app roles (<c>AppOwner</c>, <c>Collaborator</c>),
/// <c>Self</c> (the user named in the path) or <c>Invitee</c> (the address an invitation was sent to).
/// </param>
public sealed record AccessMetadata(IReadOnlyList<string> Roles);

public static class AccessMetadataExtensions
{
    public const string Extension = "x-billing-access";
    public const string PolicyExtension = "x-billing-policy";

    /// <summary>Declares the roles this endpoint admits (see <see cref="AccessMetadata"/>).</summary>
    public static RouteHandlerBuilder Allows(this RouteHandlerBuilder builder, params string[] roles) =>
        builder.WithMetadata(new AccessMetadata(roles));
}

/// <summary>Writes <see cref="AccessMetadata"/> and the endpoint's authorization policies into its OpenAPI operation.</summary>
public sealed class AccessOperationTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<AccessMetadata>().LastOrDefault() is { } access)
        {
            operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            operation.Extensions[AccessMetadataExtensions.Extension] = new JsonNodeExtension(new JsonArray([.. access.Roles.Select(r => JsonValue.Create(r))]));
        }
        var policies = metadata.OfType<IAuthorizeData>().Select(a => a.Policy).OfType<string>().Distinct().ToList();
        if (policies.Count > 0)
        {
            operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            operation.Extensions[AccessMetadataExtensions.PolicyExtension] = new JsonNodeExtension(new JsonArray([.. policies.Select(p => JsonValue.Create(p))]));
        }
        return Task.CompletedTask;
    }
}

using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Billing.Api.Idempotency;

/// <summary>Describes the <c>Idempotency-Key</c> header in the OpenAPI operation of every endpoint that honours it.</summary>
public sealed class IdempotencyKeyOperationTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IdempotencyKeyMetadata>().LastOrDefault() is not { } idempotency)
            return Task.CompletedTask;

        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = IdempotencyKeys.Header,
            In = ParameterLocation.Header,
            Required = idempotency.Required,
            Description = "Same key and same request: the first answer is replayed (Idempotent-Replayed: true). "
                + "Same key, another request: 422. While the first request with the key runs: 409. Keys are per caller.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = IdempotencyKeys.MaxKeyLength },
        });
        return Task.CompletedTask;
    }
}

using MLNet.ComposedRetrieval.Data;

namespace MLNet.ComposedRetrieval.Tests.Data.Synthetic;

/// <summary>Rasterises a <see cref="ShapeScene"/> into interleaved RGB bytes (height x width x 3) on a grey
/// background with seeded pixel noise, so no two renderings of a scene are identical.</summary>
internal static class ShapeRenderer
{
    public static byte[] Render(ShapeScene scene, int imageSize, Random noise)
    {
        var pixels = new byte[imageSize * imageSize * 3];
        float cellSize = imageSize / 3f;
        float centreX = (scene.Cell % 3 + 0.5f) * cellSize;
        float centreY = (scene.Cell / 3 + 0.5f) * cellSize;
        float radius = cellSize * (scene.Size == 0 ? 0.28f : 0.45f);
        var colour = ShapeScene.Rgb[scene.Colour];

        for (int y = 0; y < imageSize; y++)
        {
            for (int x = 0; x < imageSize; x++)
            {
                bool inside = Contains(scene.Shape, x + 0.5f - centreX, y + 0.5f - centreY, radius);
                int offset = (y * imageSize + x) * 3;
                for (int c = 0; c < 3; c++)
                {
                    int value = (inside ? colour[c] : 128) + noise.Next(-12, 13);
                    pixels[offset + c] = (byte)Math.Clamp(value, 0, 255);
                }
            }
        }
        return pixels;
    }

    private static bool Contains(int shape, float dx, float dy, float r) => shape switch
    {
        0 => dx * dx + dy * dy <= r * r,
        1 => Math.Abs(dx) <= r * 0.85f && Math.Abs(dy) <= r * 0.85f,
        // Upward triangle: inside the base line and the two slanted edges.
        _ => dy <= r * 0.8f && dy >= -r && Math.Abs(dx) <= (dy + r) * 0.58f,
    };
}

// The landmark layouts a landmarker can return, and how the stages that need iBUG 68 points read the
// others. A landmarker returns its model's own points (Landmarker::landmarks):
//   68 points   iBUG 300-W order (dlib68, faceapi68, faceapi68-tiny)
//   468 points  MediaPipe FaceMesh order (facemesh)
//   478 points  FaceMesh plus 2 x 5 iris points, 468-472 and 473-477 (facemesh:iris=1)
// The scheme follows from the count. Aligners and the face mask take 68 iBUG points; a mesh is read
// through human's VTX68 table (src/face/facemeshcoords.ts), MediaPipe's vertex for each iBUG point.
#pragma once
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "facekit/types.hpp"

namespace facekit {

constexpr std::size_t kIbugPointCount = 68;
constexpr std::size_t kMeshPointCount = 468;
constexpr std::size_t kMeshWithIrisPointCount = 478;

// The mesh vertex of each iBUG point, in iBUG order (human 3.x facemeshcoords.ts VTX68): jaw 0-16,
// brows 17-26, nose 27-35, eyes 36-47, outer lips 48-59, inner lips 60-67.
extern const std::array<int, kIbugPointCount> kMeshVertexOfIbugPoint;

// MediaPipe FACEMESH_FACE_OVAL as one closed loop (human's meshAnnotations.silhouette): 36 vertices
// from the top of the forehead (10) clockwise on the image, round the chin (152) and back.
extern const std::array<int, 36> kMeshFaceOval;

// "ibug68", "mesh468" or "mesh478" for a landmark list; throws InvalidArgument for any other count,
// naming `who` (the stage that asked).
std::string landmark_scheme(const std::vector<Point>& landmarks, const std::string& who);

// 68 iBUG points: passed through, or picked from a mesh. Throws InvalidArgument (naming `who`) for a
// count that is neither.
std::vector<Point> ibug68_points(const std::vector<Point>& landmarks, const std::string& who);

// The polygon that bounds the face, in image coordinates, for the face mask: for 68 points the convex
// hull of the jaw line and the brows (points 0-26, the iBUG face outline; the forehead above the brows
// is outside it), for a mesh the face oval (kMeshFaceOval), which reaches the hairline.
std::vector<Point> face_outline(const std::vector<Point>& landmarks);

}  // namespace facekit

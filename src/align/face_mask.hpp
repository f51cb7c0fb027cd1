// deepface's "normalization" stage 2.5 as facekit does it: everything of the face chip outside the
// face's outline set to 0 before the embedder sees it (PipelineOptions::normalization = "mask").
#pragma once
#include <opencv2/core.hpp>

#include "facekit/types.hpp"

namespace facekit {

// 255 where a chip pixel's centre lies inside the face outline (face_outline of face.landmarks, mapped
// into the chip through the inverse of face.chip_to_image), 0 elsewhere. Throws InvalidArgument when
// the face has no landmarks or its aligner recorded no transform.
cv::Mat face_mask(const FaceRegion& face, cv::Size chip_size);

// Sets every pixel of `chip` outside face_mask to 0 (black in RGB); pixels inside keep their values.
void mask_outside_face(cv::Mat& chip, const FaceRegion& face);

}  // namespace facekit
